"""F-beta scores from weighted true positive, false positive and false negative counts per class (Keras 3)."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz
from fitspec.metrics.base import Metric


class FBetaScore(Metric):
    """F_beta = (1 + β²) P R / (β² P + R + ε) with P = tp / (tp + fp + ε), R = tp / (tp + fn + ε), per class.

    A prediction is positive when > `threshold`, or, with threshold None, when it is its row's maximum (and not 0).
    `average`: None gives the vector per class; "micro" counts over all classes at once; "macro" the mean of the
    classes' scores; "weighted" their mean weighted by each class's weighted count of true labels.
    """

    targets = "probabilities"
    direction = "up"
    AVERAGES = (None, "micro", "macro", "weighted")

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if average not in self.AVERAGES:
            raise invalid_argument(where, "average", f"one of {self.AVERAGES}", average)
        if not isinstance(beta, float) or beta <= 0.0:
            raise invalid_argument(where, "beta", "a Python float > 0", beta)
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise invalid_argument(where, "threshold", "None or a Python float in (0, 1]", threshold)
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def build(self, y_true_shape, y_pred_shape):
        if self._built:
            return
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise invalid_argument(type(self).__name__, "y_pred", "2D targets and predictions (batch_size, "
                                   "output_dim)", f"<y_true of shape {tuple(y_true_shape)}, y_pred of shape "
                                   f"{tuple(y_pred_shape)}>")
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = self.ops
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        self.build(ops.shape(y_true), ops.shape(y_pred))
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            predicted = ops.logical_and(ops.greater_equal(y_pred, top), ops.greater(ops.abs(y_pred), 1e-9))
        else:
            predicted = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(predicted, self.dtype)
        weights = None
        if sample_weight is not None:
            weights = ops.cast(ops.convert_to_tensor(sample_weight), self.dtype)
            weights = ops.reshape(weights, (-1, 1))  # one weight a row, given as (n,) or (n, 1)

        def weighted_sum(values):
            return ops.sum(values if weights is None else values * weights, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1.0 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1.0 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        ops = self.ops
        if not self._built:
            return ops.convert_to_tensor(0.0, dtype=self.dtype)
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        precision = tp / (tp + fp + fuzz(ops))
        recall = tp / (tp + fn + fuzz(ops))
        b2 = self.beta**2
        score = precision * recall / (b2 * precision + recall + fuzz(ops)) * (1.0 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            return ops.sum(score * (weights / (ops.sum(weights) + fuzz(ops))))
        if self.average is not None:
            return ops.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with β = 1."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config

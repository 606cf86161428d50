"""Confusion-matrix metrics: weighted true/false positive/negative counts at thresholds, and what is read from
them (precision, recall, the area under a curve)."""

from __future__ import annotations

from typing import ClassVar

from fitspec.errors import invalid_argument
from fitspec.metrics.base import Metric
from fitspec.reduction import squeeze_or_expand_to_same_rank


class _ConfusionCounts(Metric):
    """Weighted true/false positive/negative counts at `thresholds` (prediction > threshold is positive)."""

    targets = "probabilities"

    def __init__(self, thresholds, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.thresholds = [float(t) for t in thresholds]
        for t in self.thresholds:
            if not 0.0 - 1e-6 <= t <= 1.0 + 1e-6:
                raise invalid_argument(type(self).__name__, "thresholds", "values in [0, 1]", thresholds)
        self.class_id = class_id
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = self.ops
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        y_true, y_pred = squeeze_or_expand_to_same_rank(ops, y_true, y_pred)
        n = 1
        for d in ops.shape(y_pred):
            n *= d
        labels = ops.reshape(y_true, (n, 1))
        predictions = ops.reshape(y_pred, (n, 1))
        if sample_weight is None:
            weights = ops.ones((n, 1), dtype=self.dtype)
        else:
            sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), self.dtype)
            sample_weight, _ = squeeze_or_expand_to_same_rank(ops, sample_weight, y_pred)
            while len(ops.shape(sample_weight)) < len(ops.shape(y_pred)):
                sample_weight = ops.expand_dims(sample_weight, -1)
            weights = ops.reshape(ops.broadcast_to(sample_weight, ops.shape(y_pred)), (n, 1))
        thresholds = ops.reshape(ops.convert_to_tensor(self.thresholds, dtype=self.dtype), (1, -1))
        positive = ops.cast(ops.greater(predictions, thresholds), self.dtype)
        actual = ops.cast(ops.greater(labels, 0.5), self.dtype)
        self.true_positives.assign_add(ops.sum(positive * actual * weights, axis=0))
        self.false_positives.assign_add(ops.sum(positive * (1.0 - actual) * weights, axis=0))
        self.true_negatives.assign_add(ops.sum((1.0 - positive) * (1.0 - actual) * weights, axis=0))
        self.false_negatives.assign_add(ops.sum((1.0 - positive) * actual * weights, axis=0))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds, "class_id": self.class_id}


class _RatioAtThreshold(_ConfusionCounts):
    """tp / (tp + `other`) at `thresholds` (default 0.5); a scalar for one threshold."""

    direction = "up"
    other: ClassVar[str] = ""

    def __init__(self, thresholds=0.5, class_id=None, name=None, dtype=None):
        self._scalar = not isinstance(thresholds, (list, tuple))
        super().__init__([thresholds] if self._scalar else thresholds, class_id, name, dtype)

    def result(self):
        tp = self.true_positives.value
        value = self.ops.divide_no_nan(tp, tp + getattr(self, self.other).value)
        return value[0] if self._scalar else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds[0] if self._scalar else self.thresholds}


class Precision(_RatioAtThreshold):
    """tp / (tp + fp)"""

    other = "false_positives"

    def __init__(self, thresholds=0.5, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, class_id, name, dtype)


class Recall(_RatioAtThreshold):
    """tp / (tp + fn)"""

    other = "false_negatives"

    def __init__(self, thresholds=0.5, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, class_id, name, dtype)


class AUC(_ConfusionCounts):
    """Area under the ROC or PR curve from counts at `num_thresholds` evenly spaced thresholds (Keras 3).

    Thresholds: -eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps. ROC: Σ (fpr[i] - fpr[i+1]) · h_i with h_i the mean
    ("interpolation"), min ("minoring") or max ("majoring") of tpr[i], tpr[i+1]. PR with interpolation:
    Davis & Goadrich's interpolation, as Keras.
    """

    direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc", dtype=None):
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds < 2:
            raise invalid_argument("AUC", "num_thresholds", "an int > 1", num_thresholds)
        if curve not in ("ROC", "PR"):
            raise invalid_argument("AUC", "curve", "'ROC' or 'PR'", curve)
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise invalid_argument("AUC", "summation_method", "'interpolation', 'minoring' or 'majoring'",
                                   summation_method)
        eps = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, summation_method
        super().__init__([0.0 - eps, *inner, 1.0 + eps], None, name, dtype)

    def _pr_interpolated(self):
        ops = self.ops
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = ops.divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = ops.logical_and(ops.greater(p[:-1], 0.0), ops.greater(p[1:], 0.0))
        ratio = ops.where(both, ops.divide_no_nan(p[:-1], ops.maximum(p[1:], 0.0)), ops.ones_like(p[1:]))
        increment = ops.divide_no_nan(slope * (dtp + intercept * ops.log(ratio)), ops.maximum(tp[1:] + fn[1:], 0.0))
        return ops.sum(increment)

    def result(self):
        ops = self.ops
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._pr_interpolated()
        if self.curve == "ROC":
            x, y = ops.divide_no_nan(fp, fp + tn), ops.divide_no_nan(tp, tp + fn)
        else:
            x, y = ops.divide_no_nan(tp, tp + fn), ops.divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[:-1], y[1:])
        else:
            heights = ops.maximum(y[:-1], y[1:])
        return ops.sum((x[:-1] - x[1:]) * heights)

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method}

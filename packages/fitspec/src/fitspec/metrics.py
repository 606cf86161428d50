"""Metrics: streaming state in Variables, updated by `update_state` and read by `result`.

Mean keeps total += sum(v * w) and count += sum(w) (count += number of samples without weights);
result = total / count, 0 when count is 0. `stateless_update_state` and `stateless_result` run the
same stateful code inside a `StatelessScope` (fitspec.variables).
"""

from __future__ import annotations

import functools
import numbers
from typing import ClassVar

from fitspec import initializers, losses
from fitspec.errors import invalid_argument
from fitspec.naming import to_snake_case
from fitspec.reduction import reduce_to_samplewise_values, squeeze_or_expand_to_same_rank
from fitspec.variables import StatelessScope


class Metric:
    """Base class. Subclasses create state with `add_variable` and implement `update_state`, `result`."""

    backend: ClassVar = None
    #: "up" or "down" when a better model moves the result that way; callbacks read it in mode "auto".
    direction: ClassVar[str | None] = None
    #: what fit() checks of the targets on the host, as fitspec.losses.Loss.targets (None: no rule)
    targets: ClassVar[str | None] = None

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = dtype
        self._variables = []
        self._initial_values = []

    @property
    def ops(self):
        return self.backend.ops

    @property
    def dtype(self):
        return self._dtype or self.backend.floatx()

    @property
    def variables(self) -> list:
        return list(self._variables)

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        init = initializers.get(initializer)
        value = init(tuple(shape), dtype=dtype or self.dtype)
        variable = self.backend.Variable(
            value, dtype=dtype or self.dtype, trainable=False, name=name, path=f"{self.name}/{name}"
        )
        self._variables.append(variable)
        self._initial_values.append(value)
        return variable

    add_weight = add_variable

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        for variable, value in zip(self._variables, self._initial_values):
            variable.assign(value)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    # -- the stateless API ----------------------------------------------------------------------
    def _check_state(self, metric_variables, where):
        if len(metric_variables) != len(self._variables):
            raise invalid_argument(
                f"{type(self).__name__}('{self.name}').{where}",
                "metric_variables",
                f"a list of {len(self._variables)} values (one per entry of `metric.variables`)",
                f"<a sequence of {len(metric_variables)} values>",
            )

    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        self._check_state(metric_variables, "stateless_update_state")
        with StatelessScope(zip(self._variables, metric_variables)) as scope:
            self.update_state(*args, **kwargs)
        return [scope.get_current_value(v) for v in self._variables]

    def stateless_result(self, metric_variables):
        self._check_state(metric_variables, "stateless_result")
        with StatelessScope(zip(self._variables, metric_variables)):
            return self.result()

    def stateless_reset_state(self) -> list:
        with StatelessScope() as scope:
            self.reset_state()
        return [scope.get_current_value(v) for v in self._variables]

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class MeanState:
    """The arithmetic of a Mean's common updates, which a backend may map to faster kernels with the same numbers
    (`Backend.mean_state`): values cast to the metric's dtype, their sum; total += value and count += n;
    result = total / count, 0 when count is 0."""

    @staticmethod
    def cast(ops, values, dtype):
        return ops.cast(values, dtype)

    @staticmethod
    def sum(ops, values):
        return ops.sum(values)

    @staticmethod
    def add(total, count, value, n) -> None:
        total.assign_add(value)
        count.assign_add(n)

    @staticmethod
    def ratio(ops, total, count):
        return ops.divide_no_nan(total.value, count.value)


class Mean(Metric):
    """Weighted running mean: total / count."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    @property
    def _state(self):
        return self.backend.mean_state or MeanState

    def update_state(self, values, sample_weight=None):
        """total += Σ v·w, count += Σ w (count += number of samples without weights). The two updates of every
        training step take a few ops, with the general path's arithmetic in its order: without weights,
        total += Σ mean(v over axes > 0) and count += len(v); a scalar v with a Python int weight w (the loss
        tracker's batch size), total += v·w and count += w."""
        ops = self.ops
        if sample_weight is None or _is_int(sample_weight):
            state = self._state
            values = state.cast(ops, values, self.dtype)
            shape = ops.shape(values)
            if sample_weight is None:
                if len(shape) > 1:
                    values = ops.mean(values, axis=tuple(range(1, len(shape))))
                state.add(self.total, self.count, state.sum(ops, values), shape[0] if shape else 1)
                return
            if not shape:
                weight = int(sample_weight)  # a Python int: cast to the values' dtype by every backend, as 1.0 * w
                state.add(self.total, self.count, values * weight, weight)
                return
        values, sample_weight = reduce_to_samplewise_values(ops, values, sample_weight, self.dtype)
        self._state.add(self.total, self.count, ops.sum(values), ops.sum(sample_weight))

    def result(self):
        return self._state.ratio(self.ops, self.total, self.count)


class Sum(Metric):
    """Weighted running sum."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(self.ops, values, sample_weight, self.dtype)
        self.total.assign_add(self.ops.sum(values))

    def result(self):
        return self.ops.cast(self.total.value, self.dtype)


class MeanMetricWrapper(Mean):
    """The weighted mean of a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


# -- per-sample functions ---------------------------------------------------------------------
def accuracy(ops, y_true, y_pred):
    """mean(y_true == y_pred, axis=-1)"""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(ops, y_true, y_pred)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), ops.dtype(y_pred)), axis=-1)


def binary_accuracy(ops, y_true, y_pred, threshold=0.5):
    """mean(y_true == (y_pred > threshold), axis=-1)"""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(ops, y_true, y_pred)
    predicted = ops.cast(ops.greater(y_pred, threshold), ops.dtype(y_pred))
    return ops.mean(ops.cast(ops.equal(y_true, predicted), ops.dtype(y_pred)), axis=-1)


def categorical_accuracy(ops, y_true, y_pred):
    """argmax(y_true, -1) == argmax(y_pred, -1)"""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    matches = ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1))
    return ops.cast(matches, ops.dtype(y_pred))


def sparse_categorical_accuracy(ops, y_true, y_pred):
    """y_true == argmax(y_pred, -1); targets of shape (n,) or (n, 1)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    predicted = ops.argmax(y_pred, axis=-1)
    matches = ops.equal(ops.cast(y_true, "int64"), ops.cast(predicted, "int64"))
    return ops.cast(matches, ops.dtype(y_pred))


def _is_int(weight) -> bool:
    """A Python (or numpy) integer, not a bool (the common `int` checked first: an ABC check takes microseconds)."""
    return type(weight) is int or isinstance(weight, numbers.Integral) and not isinstance(weight, bool)


def _with_ops(fn, ops):
    bound = functools.partial(fn, ops)
    functools.update_wrapper(bound, fn)
    return bound


class MeanSquaredError(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_with_ops(losses.mean_squared_error, self.ops), name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_with_ops(losses.mean_absolute_error, self.ops), name=name, dtype=dtype)


class Accuracy(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_with_ops(accuracy, self.ops), name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    targets = "probabilities"
    direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_with_ops(binary_accuracy, self.ops), name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_with_ops(categorical_accuracy, self.ops), name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    targets = "class_ids"
    direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_with_ops(sparse_categorical_accuracy, self.ops), name=name, dtype=dtype)


def top_k_categorical_accuracy(ops, y_true, y_pred, k=5):
    """1 when fewer than k classes score strictly higher than the true class (ties count in its favour)."""
    y_pred = ops.convert_to_tensor(y_pred)
    target = ops.expand_dims(ops.argmax(ops.convert_to_tensor(y_true), axis=-1), -1)
    target_score = ops.take_along_axis(y_pred, target, axis=-1)
    higher = ops.sum(ops.cast(ops.greater(y_pred, target_score), ops.dtype(y_pred)), axis=-1)
    return ops.cast(ops.less(higher, k), ops.dtype(y_pred))


def cosine_similarity(ops, y_true, y_pred, axis=-1):
    """sum(l2_normalize(t) * l2_normalize(p), axis): +1 when aligned."""
    return -losses.cosine_similarity(ops, y_true, y_pred, axis=axis)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_with_ops(losses.mean_absolute_percentage_error, self.ops), name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_with_ops(cosine_similarity, self.ops), name=name, dtype=dtype, axis=axis)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(_with_ops(top_k_categorical_accuracy, self.ops), name=name, dtype=dtype, k=k)


class RootMeanSquaredError(Mean):
    """sqrt(weighted mean of (p - t)^2)."""

    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = self.ops
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
        y_true, y_pred = squeeze_or_expand_to_same_rank(ops, y_true, y_pred)
        return super().update_state(ops.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return self.ops.sqrt(super().result())


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


CLASSES = {
    cls.__name__: cls
    for cls in (
        Mean, Sum, MeanSquaredError, MeanAbsoluteError, Accuracy, BinaryAccuracy,
        CategoricalAccuracy, SparseCategoricalAccuracy, MeanAbsolutePercentageError, CosineSimilarity,
        TopKCategoricalAccuracy, RootMeanSquaredError, Precision, Recall, AUC,
    )
}
#: metric names accepted in compile(metrics=[...]) -> class name.
NAMES = {
    "mape": "MeanAbsolutePercentageError", "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "cosine_similarity": "CosineSimilarity", "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "root_mean_squared_error": "RootMeanSquaredError", "precision": "Precision", "recall": "Recall", "auc": "AUC",
    "mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
    "mae": "MeanAbsoluteError", "mean_absolute_error": "MeanAbsoluteError",
    "binary_accuracy": "BinaryAccuracy", "categorical_accuracy": "CategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy",
}
FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                     top_k_categorical_accuracy, cosine_similarity)}


# -- the hinge metrics of the losses issue (issue 16): MeanMetricWrappers of the loss functions ------------------
class SquaredHinge(MeanMetricWrapper):
    """The weighted mean of losses.squared_hinge."""

    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_with_ops(losses.squared_hinge, self.ops), name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The weighted mean of losses.categorical_hinge."""

    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_with_ops(losses.categorical_hinge, self.ops), name=name, dtype=dtype)


CLASSES.update({cls.__name__: cls for cls in (SquaredHinge, CategoricalHinge)})
NAMES.update({"squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge"})
FUNCTIONS.update({f.__name__: f for f in (losses.squared_hinge, losses.categorical_hinge)})

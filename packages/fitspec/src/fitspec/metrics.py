"""Metrics: streaming state in Variables, updated by `update_state` and read by `result`.

Mean keeps total += sum(v * w) and count += sum(w) (count += number of samples without weights);
result = total / count, 0 when count is 0. `stateless_update_state` and `stateless_result` run the
same stateful code inside a `StatelessScope` (fitspec.variables).
"""

from __future__ import annotations

import functools
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


class Mean(Metric):
    """Weighted running mean: total / count."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        ops = self.ops
        values, sample_weight = reduce_to_samplewise_values(ops, values, sample_weight, self.dtype)
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            count = ops.sum(sample_weight)
        elif len(ops.shape(values)) >= 1:
            count = ops.shape(values)[0]
        else:
            count = 1
        self.count.assign_add(ops.cast(count, self.dtype))

    def result(self):
        return self.ops.divide_no_nan(self.total.value, self.count.value)


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


def _with_ops(fn, ops):
    bound = functools.partial(fn, ops)
    functools.update_wrapper(bound, fn)
    return bound


class MeanSquaredError(MeanMetricWrapper):
    direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_with_ops(losses.mean_squared_error, self.ops), name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_with_ops(losses.mean_absolute_error, self.ops), name=name, dtype=dtype)


class Accuracy(MeanMetricWrapper):
    direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_with_ops(accuracy, self.ops), name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_with_ops(binary_accuracy, self.ops), name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_with_ops(categorical_accuracy, self.ops), name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_with_ops(sparse_categorical_accuracy, self.ops), name=name, dtype=dtype)


CLASSES = {
    cls.__name__: cls
    for cls in (
        Mean, Sum, MeanSquaredError, MeanAbsoluteError, Accuracy, BinaryAccuracy,
        CategoricalAccuracy, SparseCategoricalAccuracy,
    )
}
#: metric names accepted in compile(metrics=[...]) -> class name.
NAMES = {
    "mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
    "mae": "MeanAbsoluteError", "mean_absolute_error": "MeanAbsoluteError",
    "binary_accuracy": "BinaryAccuracy", "categorical_accuracy": "CategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy",
}
FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy)}

"""Mean, Sum and MeanMetricWrapper: the weighted running reductions every averaging metric builds on.

Mean keeps total += sum(v * w) and count += sum(w) (count += number of samples without weights);
result = total / count, 0 when count is 0.
"""

from __future__ import annotations

import functools
import numbers
from typing import ClassVar

from fitspec.masking import get_mask
from fitspec.metrics.base import Metric
from fitspec.reduction import mask_as_weight, reduce_to_samplewise_values


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
        """Mean of fn(y_true, y_pred) weighted by sample_weight times the mask of y_pred (docs/SPEC.md "Masking")."""
        mask = get_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = mask_as_weight(self.ops, mask, sample_weight, "sum", self.dtype)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class PerSampleMean(MeanMetricWrapper):
    """A built-in metric that is the weighted mean of one per-sample function: a subclass names the function
    (`function(ops, y_true, y_pred, **options)`) and its default name in its class statement, and sets its keyword
    `options` with their defaults, as Keras's constructor takes them after `name` and `dtype`."""

    function: ClassVar = None
    default_name: ClassVar[str] = ""
    options: ClassVar[dict] = {}

    def __init_subclass__(cls, function=None, name=None, **kwargs):
        """`class Hinge(LossMean, function=losses.hinge)`: the subclass's per-sample function, and its default name
        (`name`, else the function's)."""
        super().__init_subclass__(**kwargs)
        if function is not None:
            cls.function, cls.default_name = staticmethod(function), name or function.__name__

    def __init__(self, name=None, dtype=None, **options):
        for option in options:
            if option not in self.options:
                raise TypeError(f"{type(self).__name__}: unexpected keyword argument `{option}`; expected name, "
                                f"dtype{''.join(f', {o}' for o in self.options)}.")
        super().__init__(_with_ops(type(self).function, self.ops), name=name or self.default_name, dtype=dtype,
                         **{**self.options, **options})


class LossMean(PerSampleMean):
    """The weighted mean of a per-sample loss of fitspec.losses: targets like the predictions, lower is better."""

    targets, direction = "like_predictions", "down"


def _is_int(weight) -> bool:
    """A Python (or numpy) integer, not a bool (the common `int` checked first: an ABC check takes microseconds)."""
    return type(weight) is int or isinstance(weight, numbers.Integral) and not isinstance(weight, bool)


def _with_ops(fn, ops):
    bound = functools.partial(fn, ops)
    functools.update_wrapper(bound, fn)
    return bound

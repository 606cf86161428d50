"""Losses: per-sample functions `f(ops, y_true, y_pred)` and the `Loss` classes that reduce them.

Every formula is in docs/SPEC.md ("Losses"); epsilon = 1e-7 where probabilities are clipped.
"""

from __future__ import annotations

import functools
import math
from typing import ClassVar

from fitspec.errors import invalid_argument
from fitspec.reduction import REDUCTIONS, reduce_weighted_values, squeeze_or_expand_to_same_rank

EPSILON = 1e-7


# -- per-sample functions ---------------------------------------------------------------------
def _prepare(ops, y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    return squeeze_or_expand_to_same_rank(ops, y_true, y_pred)


def mean_squared_error(ops, y_true, y_pred):
    """mean((y_true - y_pred)^2, axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(ops, y_true, y_pred):
    """mean(|y_true - y_pred|, axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def binary_crossentropy(ops, y_true, y_pred, from_logits=False):
    """mean(-(t log p + (1 - t) log(1 - p)), axis=-1), p clipped to [eps, 1 - eps].

    From logits z: max(z, 0) - z t + log(1 + exp(-|z|)), exactly (no clipping).
    """
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    if from_logits:
        per_entry = ops.relu(y_pred) - y_pred * y_true + ops.log1p(ops.exp(-ops.abs(y_pred)))
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        per_entry = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(per_entry, axis=-1)


def categorical_crossentropy(ops, y_true, y_pred, from_logits=False, axis=-1):
    """-sum(t log p, axis); probabilities are renormalised to sum to 1, then clipped to [eps, 1 - eps]."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    if tuple(ops.shape(y_true)) != tuple(ops.shape(y_pred)):
        raise invalid_argument(
            "categorical_crossentropy", "y_true", f"one-hot targets of shape {tuple(ops.shape(y_pred))}", y_true
        )
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
    else:
        p = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
        log_p = ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))
    return -ops.sum(y_true * log_p, axis=axis)


def sparse_categorical_crossentropy(ops, y_true, y_pred, from_logits=False, axis=-1):
    """-log p[y_true]; integer targets of shape (n,) or (n, 1)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if len(ops.shape(y_true)) != len(ops.shape(y_pred)) - 1:
        raise invalid_argument(
            "sparse_categorical_crossentropy",
            "y_true",
            f"integer class ids of rank {len(ops.shape(y_pred)) - 1} "
            f"for predictions of shape {tuple(ops.shape(y_pred))}",
            y_true,
        )
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
    else:
        p = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
        log_p = ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))
    indices = ops.expand_dims(ops.cast(y_true, "int64"), -1)
    return -ops.squeeze(ops.take_along_axis(log_p, indices, axis=-1), -1)


def l2_normalize(ops, x, axis=-1, epsilon=1e-12):
    """x / sqrt(max(sum(x^2, axis), epsilon))"""
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), epsilon))


def kl_divergence(ops, y_true, y_pred):
    """sum(t log(t / p), axis=-1), t and p clipped to [eps, 1]."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    t, p = ops.clip(y_true, EPSILON, 1.0), ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(t * ops.log(t / p), axis=-1)


def cosine_similarity(ops, y_true, y_pred, axis=-1):
    """-sum(l2_normalize(t) * l2_normalize(p), axis): -1 when aligned (a loss to minimise)."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    return -ops.sum(l2_normalize(ops, y_true, axis) * l2_normalize(ops, y_pred, axis), axis=axis)


def huber(ops, y_true, y_pred, delta=1.0):
    """mean(½e² if |e| <= delta else delta (|e| - ½ delta), axis=-1), e = p - t."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    return ops.mean(ops.where(abs_error <= delta, 0.5 * ops.square(error), delta * abs_error - 0.5 * delta**2),
                    axis=-1)


def log_cosh(ops, y_true, y_pred):
    """mean(log(cosh(p - t)), axis=-1), as x + softplus(-2x) - log 2."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    x = y_pred - y_true
    softplus = ops.relu(-2.0 * x) + ops.log1p(ops.exp(-ops.abs(2.0 * x)))
    return ops.mean(x + softplus - math.log(2.0), axis=-1)


def poisson(ops, y_true, y_pred):
    """mean(p - t log(p + eps), axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


def hinge(ops, y_true, y_pred):
    """mean(max(1 - t p, 0), axis=-1); targets in {0, 1} become {-1, 1} first."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    is_binary = ops.min(ops.cast(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)), ops.dtype(y_true)))
    y_true = ops.where(is_binary > 0, 2.0 * y_true - 1.0, y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def mean_absolute_percentage_error(ops, y_true, y_pred):
    """100 mean(|t - p| / max(|t|, eps), axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), EPSILON)), axis=-1)


def mean_squared_logarithmic_error(ops, y_true, y_pred):
    """mean((log(max(p, eps) + 1) - log(max(t, eps) + 1))^2, axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, EPSILON) + 1.0)
    second = ops.log(ops.maximum(y_true, EPSILON) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


FUNCTIONS = {
    f.__name__: f
    for f in (
        mean_squared_error, mean_absolute_error, binary_crossentropy, categorical_crossentropy,
        sparse_categorical_crossentropy, kl_divergence, cosine_similarity, huber, log_cosh, poisson, hinge,
        mean_absolute_percentage_error, mean_squared_logarithmic_error,
    )
}
FUNCTION_ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "logcosh": "log_cosh",
}


# -- Loss classes -------------------------------------------------------------------------------
class Loss:
    """Base class: subclasses implement `call(y_true, y_pred) -> per-sample losses`.

    `loss(y_true, y_pred, sample_weight)` = reduce(call(y_true, y_pred) * sample_weight).
    """

    backend: ClassVar = None
    #: what fit() checks of the targets on the host (fitspec.data_checks): "like_predictions" (the predictions'
    #: shape, up to a trailing axis of 1), "probabilities" (that shape, values in [0, 1]), "class_ids" (integer
    #: ids in [0, classes) of the predictions' shape without its last axis), or None (no rule: a user's loss)
    targets: ClassVar = None

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        from fitspec.naming import to_snake_case

        if reduction not in REDUCTIONS:
            raise invalid_argument(type(self).__name__, "reduction", f"one of {REDUCTIONS}", reduction)
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = reduction
        self._dtype = dtype

    @property
    def ops(self):
        return self.backend.ops

    @property
    def dtype(self):
        return self._dtype or self.backend.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        ops, dtype = self.ops, self.dtype
        y_pred = ops.convert_to_tensor(y_pred, dtype=dtype)
        y_true = ops.convert_to_tensor(y_true, dtype=dtype)  # as Keras: a user's y_true - y_pred stays in dtype
        return self._reduce(self.call(y_true, y_pred), sample_weight)

    def _reduce(self, values, sample_weight):
        """reduce(values * sample_weight) by `reduction`, in one mean kernel where the backend's is exact."""
        return reduce_weighted_values(self.ops, values, sample_weight, self.reduction, dtype=self.dtype,
                                      mean_of_all=self.backend.mean_of_all)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _with_ops(fn, ops):
    bound = functools.partial(fn, ops)
    functools.update_wrapper(bound, fn)
    return bound


class MeanSquaredError(LossFunctionWrapper):
    targets = "like_predictions"

    def __init__(self, name="mean_squared_error", reduction="sum_over_batch_size", dtype=None):
        super().__init__(_with_ops(mean_squared_error, self.ops), name, reduction, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    targets = "like_predictions"

    def __init__(self, name="mean_absolute_error", reduction="sum_over_batch_size", dtype=None):
        super().__init__(_with_ops(mean_absolute_error, self.ops), name, reduction, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    targets = "probabilities"

    def __init__(self, from_logits=False, name="binary_crossentropy", reduction="sum_over_batch_size", dtype=None):
        super().__init__(_with_ops(binary_crossentropy, self.ops), name, reduction, dtype, from_logits=from_logits)


class CategoricalCrossentropy(LossFunctionWrapper):
    targets = "like_predictions"

    def __init__(
        self, from_logits=False, axis=-1, name="categorical_crossentropy", reduction="sum_over_batch_size", dtype=None
    ):
        super().__init__(
            _with_ops(categorical_crossentropy, self.ops), name, reduction, dtype, from_logits=from_logits, axis=axis
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    targets = "class_ids"

    def __init__(
        self, from_logits=False, name="sparse_categorical_crossentropy", reduction="sum_over_batch_size", dtype=None
    ):
        super().__init__(
            _with_ops(sparse_categorical_crossentropy, self.ops), name, reduction, dtype, from_logits=from_logits
        )


def _simple_loss(class_name, fn, **defaults):
    """A LossFunctionWrapper subclass for `fn`, whose keyword arguments (with `defaults`) become its own."""

    def init(self, name=fn.__name__, reduction="sum_over_batch_size", dtype=None, **kwargs):
        unknown = sorted(set(kwargs) - set(defaults))
        if unknown:
            raise TypeError(f"{class_name}: unexpected keyword arguments {unknown}; expected {sorted(defaults)}.")
        LossFunctionWrapper.__init__(self, _with_ops(fn, self.ops), name, reduction, dtype, **{**defaults, **kwargs})

    return type(class_name, (LossFunctionWrapper,),
                {"__init__": init, "__doc__": fn.__doc__, "targets": "like_predictions"})


KLDivergence = _simple_loss("KLDivergence", kl_divergence)
CosineSimilarity = _simple_loss("CosineSimilarity", cosine_similarity, axis=-1)
Huber = _simple_loss("Huber", huber, delta=1.0)
LogCosh = _simple_loss("LogCosh", log_cosh)
Poisson = _simple_loss("Poisson", poisson)
Hinge = _simple_loss("Hinge", hinge)
MeanAbsolutePercentageError = _simple_loss("MeanAbsolutePercentageError", mean_absolute_percentage_error)
MeanSquaredLogarithmicError = _simple_loss("MeanSquaredLogarithmicError", mean_squared_logarithmic_error)

CLASSES = {
    cls.__name__: cls
    for cls in (
        MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
        SparseCategoricalCrossentropy, KLDivergence, CosineSimilarity, Huber, LogCosh, Poisson, Hinge,
        MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    )
}
CLASS_BY_FUNCTION = {
    "mean_squared_error": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError",
    "binary_crossentropy": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "kl_divergence": "KLDivergence",
    "cosine_similarity": "CosineSimilarity",
    "huber": "Huber",
    "log_cosh": "LogCosh",
    "poisson": "Poisson",
    "hinge": "Hinge",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
}

"""Regression metrics: weighted means of the per-sample losses, and the root of one."""

from __future__ import annotations

from fitspec import losses
from fitspec.metrics.reduction import Mean, MeanMetricWrapper, _with_ops
from fitspec.reduction import squeeze_or_expand_to_same_rank


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


class MeanAbsolutePercentageError(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_with_ops(losses.mean_absolute_percentage_error, self.ops), name=name, dtype=dtype)


def cosine_similarity(ops, y_true, y_pred, axis=-1):
    """sum(l2_normalize(t) * l2_normalize(p), axis): +1 when aligned."""
    return -losses.cosine_similarity(ops, y_true, y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_with_ops(cosine_similarity, self.ops), name=name, dtype=dtype, axis=axis)


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

"""Regression metrics: weighted means of the per-sample losses, the root of one, and R²."""

from __future__ import annotations

from fitspec import losses
from fitspec.errors import invalid_argument
from fitspec.metrics.base import Metric
from fitspec.metrics.reduction import LossMean, Mean, PerSampleMean
from fitspec.reduction import squeeze_or_expand_to_same_rank


class MeanSquaredError(LossMean, function=losses.mean_squared_error):
    """The weighted mean of losses.mean_squared_error."""


class MeanAbsoluteError(LossMean, function=losses.mean_absolute_error):
    """The weighted mean of losses.mean_absolute_error."""


class MeanAbsolutePercentageError(LossMean, function=losses.mean_absolute_percentage_error):
    """The weighted mean of losses.mean_absolute_percentage_error."""


def cosine_similarity(ops, y_true, y_pred, axis=-1):
    """sum(l2_normalize(t) * l2_normalize(p), axis): +1 when aligned."""
    return -losses.cosine_similarity(ops, y_true, y_pred, axis=axis)


class CosineSimilarity(PerSampleMean, function=cosine_similarity):
    targets, direction = "like_predictions", "up"
    options = {"axis": -1}


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


class LogCoshError(LossMean, function=losses.log_cosh, name="logcosh"):
    """The weighted mean of losses.log_cosh."""


class MeanSquaredLogarithmicError(LossMean, function=losses.mean_squared_logarithmic_error):
    """The weighted mean of losses.mean_squared_logarithmic_error."""


class R2Score(Metric):
    """Coefficient of determination per output column j, from weighted sums over every batch:
    r2_j = 1 - Σ w (t - p)² / (Σ w t² - (Σ w t)² / Σ w), 0 where that is ±inf; aggregated by `class_aggregation`
    ("uniform_average": the mean; "variance_weighted_average": weighted by the denominators; None: the vector).
    `num_regressors` k > 0 adjusts it with n the number of target entries seen: 1 - (1 - r2)(n - 1)/(n - k - 1),
    unless k >= n - 1 (then unadjusted, as Keras falls back)."""

    targets = "like_predictions"
    direction = "up"
    AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in self.AGGREGATIONS:
            raise invalid_argument("R2Score", "class_aggregation", f"one of {self.AGGREGATIONS}", class_aggregation)
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or num_regressors < 0:
            raise invalid_argument("R2Score", "num_regressors", "an int >= 0", num_regressors)
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def build(self, y_true_shape, y_pred_shape):
        if self._built:
            return
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise invalid_argument("R2Score", "y_pred", "2D targets and predictions (batch_size, output_dim)",
                                   f"<y_true of shape {tuple(y_true_shape)}, y_pred of shape {tuple(y_pred_shape)}>")
        columns = int(y_pred_shape[-1])
        self.squared_sum = self.add_variable((columns,), name="squared_sum")
        self.sum = self.add_variable((columns,), name="sum")
        self.total_mse = self.add_variable((columns,), name="residual")
        self.count = self.add_variable((columns,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = self.ops
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(ops, y_true, y_pred)
        self.build(ops.shape(y_true), ops.shape(y_pred))
        weights = ops.convert_to_tensor(1.0 if sample_weight is None else sample_weight, dtype=self.dtype)
        weights = ops.cast(weights, self.dtype)
        if len(ops.shape(weights)) == 1:
            weights = ops.expand_dims(weights, 1)
        weights = ops.broadcast_to(weights, ops.shape(y_true))
        weighted = y_true * weights
        self.sum.assign_add(ops.sum(weighted, axis=0))
        self.squared_sum.assign_add(ops.sum(y_true * weighted, axis=0))
        self.total_mse.assign_add(ops.sum(ops.square(y_true - y_pred) * weights, axis=0))
        self.count.assign_add(ops.sum(weights, axis=0))
        rows, columns = ops.shape(y_true)
        self.num_samples.assign_add(ops.convert_to_tensor(float(rows * columns), dtype=self.dtype))

    def result(self):
        ops = self.ops
        if not self._built:
            return ops.convert_to_tensor(0.0, dtype=self.dtype)
        mean = self.sum.value / self.count.value
        total = self.squared_sum.value - self.sum.value * mean
        raw = 1.0 - self.total_mse.value / total
        raw = ops.where(ops.equal(ops.abs(raw), float("inf")), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = ops.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = ops.sum(total * raw) / ops.sum(total)
        else:
            score = raw
        if self.num_regressors:
            n, k = self.num_samples.value, float(self.num_regressors)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - k - 1.0)
            score = ops.where(ops.greater(n - 1.0, k), adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}

"""Correlation metrics: per-sample Pearson and concordance correlations along an axis, averaged (Keras 3)."""

from __future__ import annotations

from fitspec.floatx import epsilon as fuzz
from fitspec.losses import _prepare  # y_true cast to y_pred's dtype, ranks aligned: as the losses
from fitspec.metrics.reduction import PerSampleMean


def _centred(ops, x, axis):
    return x - ops.mean(x, axis=axis, keepdims=True)


def _var(ops, x, axis):
    """The population variance."""
    return ops.mean(ops.square(_centred(ops, x, axis)), axis=axis, keepdims=True)


def _std(ops, x, axis):
    return ops.sqrt(_var(ops, x, axis))


def pearson_correlation(ops, y_true, y_pred, axis=-1):
    """mean(ẑ_t ẑ_p, axis) with ẑ = (x - mean(x)) / std(x - mean(x)) along `axis` (population std)."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    t, p = _centred(ops, y_true, axis), _centred(ops, y_pred, axis)
    return ops.mean(t / _std(ops, t, axis) * (p / _std(ops, p, axis)), axis=axis)


def concordance_correlation(ops, y_true, y_pred, axis=-1):
    """mean(2 (t - p̄)(p - p̄) / (var(t) + var(p) + (t̄ - p̄)² + ε), axis), as Keras 3 writes it (its covariance
    term centres t on p̄, not t̄)."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    t_mean = ops.mean(y_true, axis=axis, keepdims=True)
    p_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    t_var = _var(ops, y_true - t_mean, axis)
    p_var = _var(ops, y_pred - p_mean, axis)
    covariance = (y_true - p_mean) * (y_pred - p_mean)
    norm = t_var + p_var + ops.square(t_mean - p_mean)
    return ops.mean(2.0 * covariance / (norm + fuzz(ops)), axis=axis)


class PearsonCorrelation(PerSampleMean, function=pearson_correlation):
    targets, direction = "like_predictions", "up"
    options = {"axis": -1}


class ConcordanceCorrelation(PerSampleMean, function=concordance_correlation):
    targets, direction = "like_predictions", "up"
    options = {"axis": -1}

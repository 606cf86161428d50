"""Probabilistic metrics: weighted means of the cross-entropy, KL-divergence and Poisson losses per sample.

Label smoothing, as Keras applies it before the loss: binary targets t become t (1 - s) + s / 2, one-hot targets
t (1 - s) + s / C for C classes on the last axis.
"""

from __future__ import annotations

from fitspec import losses
from fitspec.errors import invalid_argument
from fitspec.metrics.reduction import LossMean, Mean, MeanMetricWrapper, _with_ops


def _smoothing(where, label_smoothing) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) \
            or not 0 <= label_smoothing <= 1:
        raise invalid_argument(where, "label_smoothing", "a number in [0, 1]", label_smoothing)
    return float(label_smoothing)


def smoothed_binary_crossentropy(ops, y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """binary_crossentropy of t (1 - s) + s / 2."""
    if label_smoothing:
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return losses.binary_crossentropy(ops, y_true, y_pred, from_logits=from_logits)


def smoothed_categorical_crossentropy(ops, y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """categorical_crossentropy of t (1 - s) + s / C, C the size of the last axis."""
    if label_smoothing:
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
        classes = ops.shape(y_true)[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return losses.categorical_crossentropy(ops, y_true, y_pred, from_logits=from_logits, axis=axis)


class BinaryCrossentropy(MeanMetricWrapper):
    targets = "probabilities"
    direction = "down"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        smoothing = _smoothing("BinaryCrossentropy", label_smoothing)
        super().__init__(_with_ops(smoothed_binary_crossentropy, self.ops), name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        smoothing = _smoothing("CategoricalCrossentropy", label_smoothing)
        super().__init__(_with_ops(smoothed_categorical_crossentropy, self.ops), name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """With `ignore_class`, as Keras: a target equal to it gives the value 0, and, when sample weights are given,
    the weight 0 (without weights those samples still count in the mean, as zeros)."""

    targets = "class_ids"
    direction = "down"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        if ignore_class is not None and (isinstance(ignore_class, bool) or not isinstance(ignore_class, int)):
            raise invalid_argument("SparseCategoricalCrossentropy", "ignore_class", "None or an int", ignore_class)
        super().__init__(_with_ops(losses.sparse_categorical_crossentropy, self.ops), name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)
        self.ignore_class = ignore_class

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().update_state(y_true, y_pred, sample_weight=sample_weight)
        ops = self.ops
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[-1] == 1:
            y_true = ops.squeeze(y_true, -1)
        valid = ops.not_equal(y_true, self.ignore_class)
        values = self._fn(ops.where(valid, y_true, ops.zeros_like(y_true)), y_pred, **self._fn_kwargs)
        values = ops.where(valid, values, ops.zeros_like(values))
        if sample_weight is not None:
            sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), self.dtype)
            keep = ops.cast(valid, self.dtype)
            if len(ops.shape(sample_weight)) == len(ops.shape(keep)) + 1:  # weights (n, 1)
                keep = ops.expand_dims(keep, -1)
            sample_weight = sample_weight * keep
        return Mean.update_state(self, values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


class KLDivergence(LossMean, function=losses.kl_divergence):
    """The weighted mean of losses.kl_divergence."""


class Poisson(LossMean, function=losses.poisson):
    """The weighted mean of losses.poisson."""

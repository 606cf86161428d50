"""Accuracy metrics: per-sample hit functions and their weighted means."""

from __future__ import annotations

from fitspec.metrics.reduction import MeanMetricWrapper, PerSampleMean, _with_ops
from fitspec.reduction import squeeze_or_expand_to_same_rank


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


class Accuracy(PerSampleMean, function=accuracy):
    targets, direction = "like_predictions", "up"


class BinaryAccuracy(PerSampleMean, function=binary_accuracy):
    targets, direction = "probabilities", "up"
    options = {"threshold": 0.5}


class CategoricalAccuracy(PerSampleMean, function=categorical_accuracy):
    targets, direction = "like_predictions", "up"


class SparseCategoricalAccuracy(PerSampleMean, function=sparse_categorical_accuracy):
    targets, direction = "class_ids", "up"


def top_k_categorical_accuracy(ops, y_true, y_pred, k=5):
    """1 when fewer than k classes score strictly higher than the true class (ties count in its favour)."""
    y_pred = ops.convert_to_tensor(y_pred)
    target = ops.expand_dims(ops.argmax(ops.convert_to_tensor(y_true), axis=-1), -1)
    target_score = ops.take_along_axis(y_pred, target, axis=-1)
    higher = ops.sum(ops.cast(ops.greater(y_pred, target_score), ops.dtype(y_pred)), axis=-1)
    return ops.cast(ops.less(higher, k), ops.dtype(y_pred))


class TopKCategoricalAccuracy(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(_with_ops(top_k_categorical_accuracy, self.ops), name=name, dtype=dtype, k=k)


def sparse_top_k_categorical_accuracy(ops, y_true, y_pred, k=5, from_sorted_ids=False):
    """1 when fewer than k classes score strictly higher than the class id y_true (ties count in its favour);
    `from_sorted_ids`: y_pred holds class ids best first, and the hit is y_true among the first k. Predictions of
    rank > 2 are rows of their last axis; the result has y_true's shape."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    shape = tuple(ops.shape(y_true))
    if len(ops.shape(y_pred)) > 2:
        y_pred = ops.reshape(y_pred, (-1, ops.shape(y_pred)[-1]))
    y_true = ops.reshape(y_true, (-1,))
    if from_sorted_ids:
        ids = ops.cast(y_pred[:, :k], "int64")
        hits = ops.max(ops.cast(ops.equal(ops.expand_dims(ops.cast(y_true, "int64"), 1), ids), "int32"), axis=1)
        matches = ops.greater(hits, 0)
    else:
        target_score = ops.take_along_axis(y_pred, ops.expand_dims(ops.cast(y_true, "int64"), -1), axis=-1)
        higher = ops.sum(ops.cast(ops.greater(y_pred, target_score), "int32"), axis=-1)
        matches = ops.less(higher, k)
    matches = ops.cast(matches, ops.dtype(ops.zeros(())))
    return ops.reshape(matches, shape) if len(shape) > 1 else matches


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    targets = "class_ids"
    direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(_with_ops(sparse_top_k_categorical_accuracy, self.ops), name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)

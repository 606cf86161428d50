"""Intersection-over-union metrics from a weighted confusion matrix of class ids (Keras 3).

The matrix cm[t, p] counts, in the metric's integer dtype (int32 by default; float weights are truncated to it),
the samples of true class t predicted as p; pairs with an id outside [0, num_classes) or a true id equal to
`ignore_class` count nothing. IoU_c = cm[c, c] / (Σ_t cm[t, c] + Σ_p cm[c, p] - cm[c, c] + ε), and the result is
the mean over the `target_class_ids` whose denominator is > 1e-9, Σ IoU_c / (number of those + ε), in float32 as
Keras computes it whatever floatx is.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz
from fitspec.metrics.base import Metric


def _ids(ops, x, sparse, axis):
    return ops.reshape(x if sparse else ops.argmax(x, axis=axis), (-1,))


class IoU(Metric):
    targets = "class_ids"
    direction = "up"
    #: the arguments a subclass fixes (its constructor does not take them), left out of its config as Keras does
    fixed_arguments: ClassVar[tuple[str, ...]] = ()

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        where = type(self).__name__
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise invalid_argument(where, "num_classes", "an int >= 1", num_classes)
        ids = list(target_class_ids)
        if not ids or not all(isinstance(i, (int, np.integer)) and 0 <= i < num_classes for i in ids):
            raise invalid_argument(where, "target_class_ids", f"class ids in [0, {num_classes})", target_class_ids)
        self.num_classes, self.target_class_ids = num_classes, [int(i) for i in ids]
        self.ignore_class, self.sparse_y_true, self.sparse_y_pred, self.axis = (
            ignore_class, sparse_y_true, sparse_y_pred, axis)
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops, n = self.ops, self.num_classes
        y_true = ops.cast(_ids(ops, ops.convert_to_tensor(y_true), self.sparse_y_true, self.axis), self.dtype)
        y_pred = ops.cast(_ids(ops, ops.convert_to_tensor(y_pred), self.sparse_y_pred, self.axis), self.dtype)
        weights = ops.ones(ops.shape(y_true), dtype=self.dtype) if sample_weight is None else ops.broadcast_to(
            ops.reshape(ops.cast(ops.convert_to_tensor(sample_weight), self.dtype), (-1,)), ops.shape(y_true))
        valid = ops.logical_and(ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, n)),
                                ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, n)))
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, ops.not_equal(y_true, self.ignore_class))
        zero = ops.zeros_like(y_true)
        y_true, y_pred, weights = ops.where(valid, y_true, zero), ops.where(valid, y_pred, zero), \
            ops.where(valid, weights, zero)
        # cm[t, p] = Σ_i w_i [t_i = t][p_i = p], exact in floats while the counts stay below 2^24
        floats = "float32" if self.backend.floatx() == "float32" else "float64"
        rows = ops.one_hot(y_true, n, dtype=floats) * ops.expand_dims(ops.cast(weights, floats), -1)
        cm = ops.matmul(ops.transpose(rows), ops.one_hot(y_pred, n, dtype=floats))
        self.total_cm.assign_add(ops.cast(cm, self.dtype))

    def result(self):
        ops = self.ops
        cm = ops.cast(self.total_cm.value, "float32")
        diagonal = ops.sum(cm * ops.convert_to_tensor(np.eye(self.num_classes), dtype="float32"), axis=1)
        denominator = ops.sum(cm, axis=0) + ops.sum(cm, axis=1) - diagonal
        ids = ops.convert_to_tensor(np.asarray(self.target_class_ids, dtype=np.int32))
        tp, denominator = ops.take(diagonal, ids, axis=0), ops.take(denominator, ids, axis=0)
        valid = ops.greater(denominator, 1e-9)
        iou = ops.where(valid, tp / (denominator + fuzz(ops)), ops.zeros_like(tp))
        return ops.sum(iou) / (ops.sum(ops.cast(valid, "float32")) + fuzz(ops))

    def get_config(self):
        config = {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                  "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                  "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
        return {key: value for key, value in config.items() if key not in self.fixed_arguments}


class MeanIoU(IoU):
    fixed_arguments = ("target_class_ids",)

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
                 axis=-1):
        super().__init__(num_classes, list(range(num_classes)) if isinstance(num_classes, int) else [0], name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class BinaryIoU(IoU):
    """IoU of two classes, the prediction's class being p >= threshold."""

    targets = "probabilities"

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = self.ops
        predicted = ops.greater_equal(ops.cast(ops.convert_to_tensor(y_pred), "float32"), self.threshold)
        return super().update_state(y_true, ops.cast(predicted, self.dtype), sample_weight)

    def get_config(self):
        return {"name": self.name, "target_class_ids": self.target_class_ids, "threshold": self.threshold}


class OneHotIoU(IoU):
    targets = "like_predictions"
    fixed_arguments = ("sparse_y_true",)

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(MeanIoU):
    targets = "like_predictions"
    fixed_arguments = ("target_class_ids", "sparse_y_true")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

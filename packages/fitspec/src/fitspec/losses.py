"""Losses: per-sample functions `f(ops, y_true, y_pred)` and the `Loss` classes that reduce them.

Every formula is in docs/SPEC.md ("Losses"); epsilon = `fuzz(ops)`, the backend's `fs.config.epsilon()` (1e-7 unless
set), where probabilities are clipped.
"""

from __future__ import annotations

import functools
import math
from typing import ClassVar

import numpy as np

from fitspec.backend_bound import BackendBound
from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz
from fitspec.masking import get_mask
from fitspec.naming import by_name
from fitspec.reduction import REDUCTIONS, reduce_weighted_values, squeeze_or_expand_to_same_rank


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


def _smooth_binary(y_true, label_smoothing):
    """t (1 - s) + s / 2"""
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y_true


def _smooth_categorical(ops, y_true, label_smoothing):
    """t (1 - s) + s / classes, classes the size of the targets' last axis"""
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / ops.shape(y_true)[-1]


def _binary_crossentropy_of_probabilities(ops, y_true, p):
    """-(t log p + (1 - t) log(1 - p)), p clipped to [eps, 1 - eps]"""
    p = ops.clip(p, fuzz(ops), 1.0 - fuzz(ops))
    return -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))


def binary_crossentropy(ops, y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean(-(t log p + (1 - t) log(1 - p)), axis), p clipped to [eps, 1 - eps]; t smoothed to t (1 - s) + s / 2.

    From logits z: max(z, 0) - z t + log(1 + exp(-|z|)), exactly (no clipping).
    """
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        per_entry = ops.relu(y_pred) - y_pred * y_true + ops.log1p(ops.exp(-ops.abs(y_pred)))
    else:
        per_entry = _binary_crossentropy_of_probabilities(ops, y_true, y_pred)
    return ops.mean(per_entry, axis=axis)


def binary_focal_crossentropy(ops, y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """mean(w (1 - p_t)^gamma bce(t, p), axis): p = sigmoid(z) from logits, bce clipped as binary_crossentropy,
    p_t = t p + (1 - t)(1 - p), w = t alpha + (1 - t)(1 - alpha) with apply_class_balancing, else 1."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * _binary_crossentropy_of_probabilities(ops, y_true, y_pred)
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def _check_axis(where, axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise invalid_argument(where, "axis", "an int", axis)


def _same_shape_targets(ops, where, y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    if tuple(ops.shape(y_true)) != tuple(ops.shape(y_pred)):
        raise invalid_argument(where, "y_true", f"one-hot targets of shape {tuple(ops.shape(y_pred))}", y_true)
    return y_true, y_pred


def _normalized_probabilities(ops, y_pred, axis):
    """y_pred / sum(y_pred, axis), clipped to [eps, 1 - eps]"""
    return ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), fuzz(ops), 1.0 - fuzz(ops))


def categorical_crossentropy(ops, y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(t log p, axis); probabilities are renormalised to sum to 1, then clipped to [eps, 1 - eps];
    t smoothed to t (1 - s) + s / classes."""
    _check_axis("categorical_crossentropy", axis)
    y_true, y_pred = _same_shape_targets(ops, "categorical_crossentropy", y_true, y_pred)
    y_true = _smooth_categorical(ops, y_true, label_smoothing)
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
    else:
        log_p = ops.log(_normalized_probabilities(ops, y_pred, axis))
    return -ops.sum(y_true * log_p, axis=axis)


def categorical_focal_crossentropy(ops, y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """sum(-alpha (1 - p)^gamma t log p, axis), p = softmax(z) from logits, renormalised and clipped as
    categorical_crossentropy; t smoothed as there."""
    _check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = _same_shape_targets(ops, "categorical_focal_crossentropy", y_true, y_pred)
    y_true = _smooth_categorical(ops, y_true, label_smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    p = _normalized_probabilities(ops, y_pred, axis)
    return ops.sum(ops.power(1.0 - p, gamma) * alpha * (-y_true * ops.log(p)), axis=axis)


def sparse_categorical_crossentropy_with_mask(ops, y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """(values, mask): -log p[y_true] along `axis`, and where `ignore_class` is given the mask y_true !=
    ignore_class (those values are 0)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    rank = len(ops.shape(y_pred))
    class_axis = axis % rank
    if len(ops.shape(y_true)) == rank and ops.shape(y_true)[class_axis] == 1:
        y_true = ops.squeeze(y_true, class_axis)
    expected_shape = tuple(d for i, d in enumerate(ops.shape(y_pred)) if i != class_axis)
    if tuple(ops.shape(y_true)) != expected_shape:
        raise invalid_argument(
            "sparse_categorical_crossentropy",
            "y_true",
            f"integer class ids of shape {expected_shape} for predictions of shape {tuple(ops.shape(y_pred))}",
            y_true,
        )
    mask = None
    if ignore_class is not None:
        mask = ops.not_equal(y_true, ignore_class)
        y_true = ops.where(mask, y_true, 0)
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
    else:
        log_p = ops.log(_normalized_probabilities(ops, y_pred, axis))
    indices = ops.expand_dims(ops.cast(y_true, "int64"), class_axis)
    values = -ops.squeeze(ops.take_along_axis(log_p, indices, axis=class_axis), class_axis)
    if mask is not None:
        values = ops.where(mask, values, 0.0)
    return values, mask


def sparse_categorical_crossentropy(ops, y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """-log p[y_true]; integer targets of shape (n,) or (n, 1); 0 where y_true == ignore_class."""
    return sparse_categorical_crossentropy_with_mask(ops, y_true, y_pred, from_logits, ignore_class, axis)[0]


def l2_normalize(ops, x, axis=-1, epsilon=1e-12):
    """x / sqrt(max(sum(x^2, axis), epsilon))"""
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), epsilon))


def kl_divergence(ops, y_true, y_pred):
    """sum(t log(t / p), axis=-1), t and p clipped to [eps, 1]."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    t, p = ops.clip(y_true, fuzz(ops), 1.0), ops.clip(y_pred, fuzz(ops), 1.0)
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
    return ops.mean(y_pred - y_true * ops.log(y_pred + fuzz(ops)), axis=-1)


def hinge(ops, y_true, y_pred):
    """mean(max(1 - t p, 0), axis=-1); targets in {0, 1} become {-1, 1} first."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    is_binary = ops.min(ops.cast(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)), ops.dtype(y_true)))
    y_true = ops.where(is_binary > 0, 2.0 * y_true - 1.0, y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def mean_absolute_percentage_error(ops, y_true, y_pred):
    """100 mean(|t - p| / max(|t|, eps), axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), fuzz(ops))), axis=-1)


def mean_squared_logarithmic_error(ops, y_true, y_pred):
    """mean((log(max(p, eps) + 1) - log(max(t, eps) + 1))^2, axis=-1)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, fuzz(ops)) + 1.0)
    second = ops.log(ops.maximum(y_true, fuzz(ops)) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def squared_hinge(ops, y_true, y_pred):
    """mean(max(1 - t p, 0)^2, axis=-1); targets in {0, 1} become {-1, 1} first."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    is_binary = ops.min(ops.cast(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)), ops.dtype(y_true)))
    y_true = ops.where(is_binary > 0, 2.0 * y_true - 1.0, y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(ops, y_true, y_pred):
    """max(max((1 - t) p, axis=-1) - sum(t p, axis=-1) + 1, 0)"""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(negative - positive + 1.0, 0.0)


def dice(ops, y_true, y_pred, axis=None):
    """1 - 2 sum(t p, axis) / (sum(t, axis) + sum(p, axis) + eps); axis None: one value for the whole batch."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    return 1.0 - 2.0 * intersection / (ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + fuzz(ops))


def tversky(ops, y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - TP / (TP + alpha FP + beta FN + eps), TP = sum(t p), FP = sum((1 - p) t), FN = sum(p (1 - t)) over axis
    (Keras's names: its FP and FN are the other way round from the usual ones)."""
    y_true, y_pred = _prepare(ops, y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    false_positives = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    false_negatives = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - intersection / (intersection + false_positives * alpha + false_negatives * beta + fuzz(ops))


def categorical_generalized_cross_entropy(ops, y_true, y_pred, q):
    """(1 - p[y_true]^q) / q, integer targets of shape (n,) or (n, 1) (Zhang and Sabuncu, 2018)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(ops.shape(y_true)) == len(ops.shape(y_pred)) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if tuple(ops.shape(y_true)) != tuple(ops.shape(y_pred)[:-1]):
        raise invalid_argument("categorical_generalized_cross_entropy", "y_true",
                               f"integer class ids of shape {tuple(ops.shape(y_pred)[:-1])}", y_true)
    one_hot = ops.one_hot(ops.cast(y_true, "int64"), ops.shape(y_pred)[-1], dtype=ops.dtype(y_pred))
    p = ops.sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.power(p, q)) / q


#: what a logsumexp over no entries sees in place of -inf (finite, so that gradients stay finite)
_NO_ENTRY = -1e30


def circle_with_mask(ops, y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80.0,
                     margin=0.4):
    """(values, mask) of the circle loss (Sun et al., 2020) of embeddings y_pred (n, d) with integer labels y_true,
    against `ref_embeddings` / `ref_labels` (default: the batch itself). d = max(1 - y_pred ref^T, 0);
    positives share a label (not the diagonal with remove_diagonal), negatives do not;
    loss = softplus(logsumexp_pos(-gamma max(margin + d, 0)(margin - d)) + logsumexp_neg(gamma max(1 + margin - d,
    0)(1 - margin - d))); the mask keeps the values > 0 (a row without positives or negatives gives 0)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
    ref_embeddings = y_pred if ref_embeddings is None else ops.convert_to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else ops.cast(ops.convert_to_tensor(ref_labels), "int32")
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(ref_embeddings)), 0.0)
    query = ops.reshape(y_true, (-1, 1)) if len(ops.shape(y_true)) == 1 else y_true
    keys = ops.reshape(ref_labels, (-1, 1)) if len(ops.shape(ref_labels)) == 1 else ref_labels
    positive = ops.equal(query, ops.transpose(keys))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        rows, cols = ops.shape(positive)
        positive = ops.logical_and(positive, ops.convert_to_tensor(~np.eye(rows, cols, dtype=bool)))
    dtype = ops.dtype(distances)
    positive_weights = ops.maximum((margin + distances) * ops.cast(positive, dtype), 0.0)
    negative_weights = ops.maximum((1.0 + margin - distances) * ops.cast(negative, dtype), 0.0)
    positive_terms = -gamma * positive_weights * (margin - distances)
    negative_terms = gamma * negative_weights * ((1.0 - margin) - distances)
    p_loss = ops.logsumexp(ops.where(positive, positive_terms, _NO_ENTRY), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, negative_terms, _NO_ENTRY), axis=1)
    x = p_loss + n_loss
    values = ops.relu(x) + ops.log1p(ops.exp(-ops.abs(x)))  # softplus
    return values, ops.greater(values, 0.0)


def circle(ops, y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80.0, margin=0.4):
    """The circle loss per sample (see circle_with_mask); the Loss class averages over its values > 0."""
    return circle_with_mask(ops, y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin)[0]


#: log-probability of an impossible CTC state (finite, so that gradients stay finite)
_CTC_IMPOSSIBLE = -1e30


def _logaddexp(ops, a, b):
    return ops.maximum(a, b) + ops.log1p(ops.exp(-ops.abs(a - b)))


def ctc(ops, y_true, y_pred):
    """The CTC negative log-likelihood (Graves et al., 2006) of integer labels y_true (batch, max_label_length),
    padded with 0, under logits y_pred (batch, time, classes); class 0 is the blank, every sample uses all `time`
    steps. Over the extended labels l' = (0, l_1, 0, l_2, ..., 0) and log p = log_softmax(y_pred):
    alpha_0(s) = log p_0(l'_s) for s < 2; alpha_t(s) = log p_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
    alpha_{t-1}(s-2) if l'_s != 0 and l'_s != l'_{s-2}); loss = -logsumexp(alpha_{T-1}(2n), alpha_{T-1}(2n - 1)),
    n the number of non-zero labels."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(ops.shape(y_true)) != 2:
        raise invalid_argument("ctc", "y_true", "integer labels of shape (batch_size, max_length)",
                               f"<shape {tuple(ops.shape(y_true))}>")
    if len(ops.shape(y_pred)) != 3:
        raise invalid_argument("ctc", "y_pred", "logits of shape (batch_size, max_length, num_classes)",
                               f"<shape {tuple(ops.shape(y_pred))}>")
    batch, steps, classes = ops.shape(y_pred)
    labels = ops.cast(y_true, "int64")
    label_length = ops.sum(ops.cast(ops.not_equal(labels, 0), "int64"), axis=-1)
    blanks = ops.zeros_like(labels)
    extended = ops.concatenate([ops.reshape(ops.stack([blanks, labels], axis=-1), (batch, -1)), blanks[:, :1]],
                               axis=-1)  # (batch, S), S = 2 max_length + 1
    states = ops.shape(extended)[-1]
    one_hot = ops.one_hot(extended, classes, dtype=ops.dtype(y_pred))  # (batch, S, classes)
    emit = ops.matmul(ops.log_softmax(y_pred, axis=-1), ops.transpose(one_hot, (0, 2, 1)))  # (batch, time, S)
    previous_two = ops.concatenate([ops.full((batch, 2), -1, dtype=ops.dtype(extended)), extended[:, :-2]], axis=-1)
    skip = ops.logical_and(ops.not_equal(extended, 0), ops.not_equal(extended, previous_two))
    impossible = ops.full((batch, 1), _CTC_IMPOSSIBLE, dtype=ops.dtype(y_pred))
    first_two = ops.less(ops.expand_dims(ops.arange(0, states, dtype="int64"), 0), 2)
    alpha = ops.where(first_two, emit[:, 0, :], _CTC_IMPOSSIBLE)
    for t in range(1, steps):
        one_back = ops.concatenate([impossible, alpha[:, :-1]], axis=-1)
        two_back = ops.where(skip, ops.concatenate([impossible, impossible, alpha[:, :-2]], axis=-1), _CTC_IMPOSSIBLE)
        top = ops.maximum(ops.maximum(alpha, one_back), two_back)
        total = ops.exp(alpha - top) + ops.exp(one_back - top) + ops.exp(two_back - top)
        alpha = top + ops.log(total) + emit[:, t, :]
    end = ops.expand_dims(2 * label_length, -1)
    last = ops.squeeze(ops.take_along_axis(alpha, end, axis=-1), -1)
    before = ops.squeeze(ops.take_along_axis(alpha, ops.maximum(end - 1, 0), axis=-1), -1)
    return -ops.where(ops.greater(label_length, 0), _logaddexp(ops, last, before), last)


FUNCTIONS = by_name(
    mean_squared_error, mean_absolute_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, kl_divergence, cosine_similarity, huber, log_cosh, poisson, hinge,
    mean_absolute_percentage_error, mean_squared_logarithmic_error,
    binary_focal_crossentropy, categorical_focal_crossentropy, categorical_generalized_cross_entropy,
    categorical_hinge, squared_hinge, circle, dice, tversky, ctc,
)
FUNCTION_ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "logcosh": "log_cosh",
    "bce": "binary_crossentropy", "BCE": "binary_crossentropy", "KLD": "kl_divergence", "MAE": "mean_absolute_error",
    "MSE": "mean_squared_error", "MAPE": "mean_absolute_percentage_error", "MSLE": "mean_squared_logarithmic_error",
}


# -- Loss classes -------------------------------------------------------------------------------
class Loss(BackendBound):
    """Base class: subclasses implement `call(y_true, y_pred) -> per-sample losses`.

    `loss(y_true, y_pred, sample_weight)` = reduce(call(y_true, y_pred) * sample_weight), over the values a loss's
    mask keeps (`call_with_mask`: SparseCategoricalCrossentropy's ignore_class, Circle's positive values).
    """

    #: what fit() checks of the targets on the host (fitspec.data_checks): "like_predictions" (the predictions'
    #: shape, up to a trailing axis of 1), "probabilities" (that shape, values in [0, 1]), "class_ids" (integer
    #: ids in [0, classes) of the predictions' shape without its last axis), or None (no rule: a user's loss)
    targets: ClassVar = None

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        from fitspec.naming import to_snake_case

        if reduction not in REDUCTIONS:
            raise invalid_argument(type(self).__name__, "reduction", f"one of {REDUCTIONS}", reduction)
        if dtype is not None and dtype not in FLOAT_DTYPES:
            raise invalid_argument(type(self).__name__, "dtype", f"None or one of {FLOAT_DTYPES}", dtype)
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = reduction
        self._dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        ops, dtype = self.ops, self.dtype
        output_mask = get_mask(y_pred)  # the model output's mask (docs/SPEC.md "Masking"), before any conversion
        y_pred = ops.convert_to_tensor(y_pred, dtype=dtype)
        y_true = ops.convert_to_tensor(y_true, dtype=dtype)  # as Keras: a user's y_true - y_pred stays in dtype
        values, mask = self.call_with_mask(y_true, y_pred)
        if output_mask is not None:
            mask = output_mask if mask is None else ops.logical_and(output_mask, mask)
        return self._reduce(values, sample_weight, mask)

    def _reduce(self, values, sample_weight, mask=None):
        """reduce(values * sample_weight) by `reduction`, in one mean kernel where the backend's is exact."""
        return reduce_weighted_values(self.ops, values, sample_weight, self.reduction, dtype=self.dtype,
                                      mean_of_all=self.backend.mean_of_all, mask=mask)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def call_with_mask(self, y_true, y_pred):
        """(per-sample values, the mask of those that count or None)."""
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)` (Keras's argument order)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
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


def _check_number(where, argument, value, low=None, high=None, expected="a number"):
    """`value` a real number (not a bool) with low < value < high where they are given."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or (low is not None and not value > low) or (high is not None and not value < high):
        raise invalid_argument(where, argument, expected, value)


def _check_smoothing(where, label_smoothing):
    _check_number(where, "label_smoothing", label_smoothing, expected="a float in [0, 1]")
    if not 0.0 <= label_smoothing <= 1.0:
        raise invalid_argument(where, "label_smoothing", "a float in [0, 1]", label_smoothing)


def _loss_class(class_name, fn, targets, keras_signature, checks=None, masked=None, doc=None):
    """A LossFunctionWrapper subclass for `fn` whose __init__ takes Keras's arguments, in Keras's order:
    `keras_signature` is [(argument, default), ...] including reduction, name and dtype; `checks(where, options)`
    validates the options (the arguments but those three); `masked(ops, y_true, y_pred, **options)` returns
    (values, mask) where the loss has a mask."""
    names = [n for n, _ in keras_signature]
    defaults = dict(keras_signature)

    def init(self, *args, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"{class_name} takes at most {len(names)} positional arguments ({len(args)} given).")
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise TypeError(f"{class_name}: unexpected keyword arguments {unknown}; expected {names}.")
        given = dict(zip(names, args))
        duplicated = sorted(set(given) & set(kwargs))
        if duplicated:
            raise TypeError(f"{class_name}: arguments given twice: {duplicated}.")
        values = {**defaults, **given, **kwargs}
        reduction, name, dtype = values.pop("reduction"), values.pop("name"), values.pop("dtype")
        if checks is not None:
            checks(class_name, values)
        LossFunctionWrapper.__init__(self, _with_ops(fn, self.ops), reduction=reduction, name=name, dtype=dtype,
                                     **values)
        for option, value in values.items():
            setattr(self, option, value)

    attributes = {"__init__": init, "__doc__": doc or fn.__doc__, "targets": targets}
    if masked is not None:
        def call_with_mask(self, y_true, y_pred):
            return masked(self.ops, y_true, y_pred, **self._fn_kwargs)

        attributes["call_with_mask"] = call_with_mask
    return type(class_name, (LossFunctionWrapper,), attributes)


_TAIL = [("reduction", "sum_over_batch_size")]


def _keras(*options, name=None, tail=None):
    """A Keras signature: the options, then reduction, name, dtype (or `tail`, Keras's own order of them)."""
    return [*options, *(tail or [*_TAIL, ("name", name)]), ("dtype", None)]


def _crossentropy_checks(where, options):
    _check_smoothing(where, options.get("label_smoothing", 0.0))
    if "axis" in options:
        _check_axis(where, options["axis"])


def _focal_checks(where, options):
    _crossentropy_checks(where, options)
    _check_number(where, "gamma", options["gamma"], expected="a number >= 0")
    if options["gamma"] < 0:
        raise invalid_argument(where, "gamma", "a number >= 0", options["gamma"])


def _huber_checks(where, options):
    _check_number(where, "delta", options["delta"], low=0, expected="a number > 0")


def _q_checks(where, options):
    _check_number(where, "q", options["q"], low=0, high=1, expected="a float in (0, 1)")


def _overlap_axis_checks(where, options):
    axis = options["axis"]
    if axis is not None and not (isinstance(axis, int) and not isinstance(axis, bool)) and not (
            isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)):
        raise invalid_argument(where, "axis", "None, an int or a list of ints", axis)
    if isinstance(axis, list):
        options["axis"] = tuple(axis)


def _tversky_checks(where, options):
    _overlap_axis_checks(where, options)
    for argument in ("alpha", "beta"):
        _check_number(where, argument, options[argument])


def _circle_checks(where, options):
    _check_number(where, "gamma", options["gamma"], low=0, expected="a number > 0")
    _check_number(where, "margin", options["margin"])


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "like_predictions",
                               _keras(name="mean_squared_error"))
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "like_predictions",
                                _keras(name="mean_absolute_error"))
#: Keras's options of its crossentropies, in its order; a focal crossentropy's start with alpha and gamma
_CROSSENTROPY = (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1))
_FOCAL = (("alpha", 0.25), ("gamma", 2.0), *_CROSSENTROPY)
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, "probabilities",
                                 _keras(*_CROSSENTROPY, name="binary_crossentropy"), _crossentropy_checks)
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "probabilities",
    _keras(("apply_class_balancing", False), *_FOCAL, name="binary_focal_crossentropy"), _focal_checks)
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy, "like_predictions",
                                      _keras(*_CROSSENTROPY, name="categorical_crossentropy"), _crossentropy_checks)
CategoricalFocalCrossentropy = _loss_class("CategoricalFocalCrossentropy", categorical_focal_crossentropy,
                                           "like_predictions", _keras(*_FOCAL, name="categorical_focal_crossentropy"),
                                           _focal_checks)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy, "class_ids",
    _keras(("from_logits", False), ("ignore_class", None),
           tail=[*_TAIL, ("axis", -1), ("name", "sparse_categorical_crossentropy")]),
    _crossentropy_checks, masked=sparse_categorical_crossentropy_with_mask)
KLDivergence = _loss_class("KLDivergence", kl_divergence, "like_predictions", _keras(name="kl_divergence"))
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "like_predictions",
                               _keras(("axis", -1), name="cosine_similarity"))
Huber = _loss_class("Huber", huber, "like_predictions", _keras(("delta", 1.0), name="huber_loss"), _huber_checks)
LogCosh = _loss_class("LogCosh", log_cosh, "like_predictions", _keras(name="log_cosh"))
Poisson = _loss_class("Poisson", poisson, "like_predictions", _keras(name="poisson"))
Hinge = _loss_class("Hinge", hinge, "like_predictions", _keras(name="hinge"))
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "like_predictions", _keras(name="squared_hinge"))
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "like_predictions",
                               _keras(name="categorical_hinge"))
MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                          "like_predictions", _keras(name="mean_absolute_percentage_error"))
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                          "like_predictions", _keras(name="mean_squared_logarithmic_error"))
CategoricalGeneralizedCrossEntropy = _loss_class(
    "CategoricalGeneralizedCrossEntropy", categorical_generalized_cross_entropy, "class_ids",
    _keras(("q", 0.5), name="categorical_generalized_cross_entropy"), _q_checks)
Dice = _loss_class("Dice", dice, "like_predictions",
                   _keras(tail=[*_TAIL, ("name", "dice"), ("axis", None)]), _overlap_axis_checks)
Tversky = _loss_class("Tversky", tversky, "like_predictions",
                      _keras(("alpha", 0.5), ("beta", 0.5), tail=[*_TAIL, ("name", "tversky"), ("axis", None)]),
                      _tversky_checks)
Circle = _loss_class("Circle", circle, None,
                     _keras(("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True), name="circle"),
                     _circle_checks, masked=circle_with_mask)
CTC = _loss_class("CTC", ctc, None, _keras(name="ctc"))

CLASSES = by_name(
    MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, CosineSimilarity, Huber, LogCosh, Poisson, Hinge,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, CategoricalHinge,
    SquaredHinge, Circle, Dice, Tversky, CTC,
)
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
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "categorical_hinge": "CategoricalHinge",
    "squared_hinge": "SquaredHinge",
    "dice": "Dice",
    "tversky": "Tversky",
    "circle": "Circle",
    "ctc": "CTC",
}


# -- serialize / deserialize / get (Keras 3's format) --------------------------------------------------------------
def _names() -> list[str]:
    return sorted({*FUNCTIONS, *FUNCTION_ALIASES, *CLASSES})


def serialize(loss) -> dict:
    """Keras 3's config of a loss: a Loss as {"module", "class_name", "config", "registered_name"}, a built-in
    function as {"module": "builtins", "class_name": "function", "config": its name, "registered_name": "function"}."""
    from fitspec.saving.registry import registered_name

    if isinstance(loss, Loss):
        name = registered_name(loss)
        builtin = type(loss).__name__ in CLASSES or type(loss).__name__ == "LossFunctionWrapper"
        if type(loss).__name__ == "LossFunctionWrapper":
            config = {**loss.get_config(), "fn": serialize(loss.fn)}
        else:
            config = loss.get_config()
        return {"module": "keras.losses" if builtin else None, "class_name": name, "config": config,
                "registered_name": None if builtin else name}
    name = getattr(loss, "__name__", None)
    if name in FUNCTIONS and getattr(loss, "__wrapped__", loss) is FUNCTIONS[name]:
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    raise invalid_argument("losses.serialize", "loss", "a Loss or a built-in loss function", loss)


def deserialize(config, namespace, custom_objects=None):
    """A loss from `serialize`'s config or a name: a function stays a function, a class config becomes an instance
    (`namespace` is the backend's fs.losses; `custom_objects` and registered classes are looked up by name)."""
    from fitspec.saving.registry import resolve_class

    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        name = FUNCTION_ALIASES.get(config, config)
        if name in FUNCTIONS or name in CLASSES:
            return getattr(namespace, name)
        raise invalid_argument("losses.deserialize", "config", f"a loss config or one of {_names()}", config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise invalid_argument("losses.deserialize", "config", "a dict with 'class_name' and 'config', or a name",
                               config)
    if config["class_name"] == "function":
        return deserialize(config.get("config"), namespace, custom_objects)
    options = dict(config.get("config") or {})
    if config["class_name"] == "LossFunctionWrapper":
        options["fn"] = deserialize(options.get("fn"), namespace, custom_objects)
        return namespace.LossFunctionWrapper(**options)
    builtins = {name: getattr(namespace, name) for name in CLASSES}
    cls = resolve_class(config.get("registered_name") or config["class_name"], builtins, custom_objects,
                        namespace.Loss.backend, "losses.deserialize")
    return cls.from_config(options)


def get(identifier, namespace):
    """Keras 3's `losses.get`: None; a config dict (deserialized); a name (a function's name gives the function,
    a class's name an instance); a Loss class (an instance) or any callable (itself)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier, namespace)
    elif isinstance(identifier, str):
        name = FUNCTION_ALIASES.get(identifier, identifier)
        if name not in FUNCTIONS and name not in CLASSES:
            raise invalid_argument("losses.get", "identifier", f"a loss, a config or one of {_names()}", identifier)
        found = getattr(namespace, name)
    else:
        found = identifier
    if isinstance(found, type):
        if not issubclass(found, Loss) or found.call is Loss.call:
            raise invalid_argument("losses.get", "identifier", "a Loss subclass that implements call()", identifier)
        return found()
    if callable(found):
        return found
    raise invalid_argument("losses.get", "identifier", f"a loss, a config or one of {_names()}", identifier)

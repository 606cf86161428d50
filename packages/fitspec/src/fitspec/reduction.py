"""Shape alignment and weighted reductions shared by losses and metrics (Keras 3 rules).

sum_over_batch_size:  loss = sum(values * sample_weight) / number_of_values
"""

from __future__ import annotations

import math

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")
MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


def squeeze_or_expand_to_same_rank(ops, x1, x2, expand_rank_1=True):
    """Align ranks differing by one whose extra axis has size 1 (the `(n,)` vs `(n, 1)` case)."""
    r1, r2 = len(ops.shape(x1)), len(ops.shape(x2))
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and ops.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if r2 == r1 + 1 and ops.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def reduce_values(ops, values, sample_weight=None, reduction="sum_over_batch_size", mean_of_all=None):
    """sum(values), or sum(values) / size for the mean reductions (sum(values) / sum(sample_weight) for
    mean_with_sample_weight). `mean_of_all(values)`, a backend's: sum(values) / size computed by one kernel where the
    backend has one that gives exactly that, else None."""
    shape = tuple(ops.shape(values))
    if reduction in (None, "none") or len(shape) == 0 or shape == (0,):
        return values
    if reduction not in MEAN_REDUCTIONS:
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return ops.divide_no_nan(ops.sum(values), ops.cast(ops.sum(sample_weight), ops.dtype(values)))
    size = math.prod(shape)
    if size == 0:
        return ops.sum(values)  # 0, as divide_no_nan gives
    mean = None if mean_of_all is None else mean_of_all(values)
    return ops.sum(values) / size if mean is None else mean


def mask_as_weight(ops, mask, sample_weight, reduction, dtype):
    """A loss's mask (True: a value that counts) merged into its sample weight, as Keras 3: under the mean
    reductions "sum_over_batch_size" and "mean" a kept value weighs size / kept (so the mean is over the kept
    values), otherwise 1; a masked one 0."""
    if reduction in ("sum_over_batch_size", "mean"):
        size = ops.cast(math.prod(ops.shape(mask)), dtype)
        mask_weight = ops.where(mask, ops.divide_no_nan(size, ops.sum(ops.cast(mask, dtype))), 0.0)
    else:
        mask_weight = ops.cast(mask, dtype)
    if sample_weight is None:
        return mask_weight
    sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
    mask_weight, sample_weight = squeeze_or_expand_to_same_rank(ops, mask_weight, sample_weight)
    return sample_weight * mask_weight


def reduce_weighted_values(ops, values, sample_weight=None, reduction="sum_over_batch_size", dtype=None,
                           mean_of_all=None, mask=None):
    """Weight per-sample values, then reduce them: sum(values * w) / number_of_values by default. A `mask` (a
    loss's, e.g. `ignore_class`) joins the weight by `mask_as_weight`."""
    values = ops.convert_to_tensor(values, dtype=dtype)
    if mask is not None:
        sample_weight = mask_as_weight(ops, mask, sample_weight, reduction, ops.dtype(values))
    if sample_weight is not None:
        sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), ops.dtype(values))
        values, sample_weight = squeeze_or_expand_to_same_rank(ops, values, sample_weight)
        values = values * sample_weight
    return reduce_values(ops, values, sample_weight, reduction, mean_of_all)


def reduce_to_samplewise_values(ops, values, sample_weight, dtype):
    """Per-sample weighted values and weights for streaming means (Keras `Mean.update_state`)."""
    values = ops.cast(ops.convert_to_tensor(values), dtype)
    if sample_weight is not None:
        sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(ops, values, sample_weight)
        weight_ndim, values_ndim = len(ops.shape(sample_weight)), len(ops.shape(values))
        if values_ndim > weight_ndim:
            values = ops.mean(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(values))
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = ops.mean(sample_weight, axis=tuple(range(1, weight_ndim)))
    values_ndim = len(ops.shape(values))
    if values_ndim > 1:
        values = ops.mean(values, axis=tuple(range(1, values_ndim)))
    return values, sample_weight

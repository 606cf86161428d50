"""Convolution, pooling and embedding lookup in autograd.numpy (the float64 reference).

Every window is gathered by fancy indexing (im2col), which autograd differentiates; a transposed
convolution is the convolution of the stride-dilated, padded input with the flipped kernel.
"""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument
from fitspec.variables import unwrap


def _spatial_rank(x, kernel_rank: int, where: str) -> int:
    rank = np.ndim(getval(x)) - 2
    if rank not in (1, 2) or rank != kernel_rank:
        raise invalid_argument(where, "inputs", f"a tensor of rank {kernel_rank + 2} (batch, *spatial, channels)",
                               f"<shape {np.shape(getval(x))}>")
    return rank


def _pad(x, window, strides, padding: str, value: float):
    """x padded on its spatial axes as `padding` asks, with `value`."""
    spatial = np.shape(getval(x))[1:-1]
    pads = [arithmetic.padding_amounts(n, k, s, padding) for n, k, s in zip(spatial, window, strides)]
    if not any(before or after for before, after in pads):
        return x
    return anp.pad(x, [(0, 0), *pads, (0, 0)], "constant", constant_values=value)


def _windows(x, window, strides):
    """(batch, *out, *window, channels): every window of x at the given strides, gathered by fancy indexing."""
    spatial = np.shape(getval(x))[1:-1]
    rank = len(spatial)
    out = [max((n - k) // s + 1, 0) for n, k, s in zip(spatial, window, strides)]
    index = []
    for d in range(rank):
        positions = (np.arange(out[d]) * strides[d])[:, None] + np.arange(window[d])[None, :]
        shape = [1] * (2 * rank)
        shape[d], shape[rank + d] = out[d], window[d]
        index.append(positions.reshape(shape))
    return x[(slice(None), *index, slice(None))]


def conv(inputs, kernel, strides=1, padding="valid"):
    """out[b, o, f] = sum over window w and channel c of x_padded[b, o*s + w, c] * kernel[w, c, f]."""
    x, kernel = unwrap(inputs), unwrap(kernel)
    kernel_shape = np.shape(getval(kernel))
    rank = _spatial_rank(x, len(kernel_shape) - 2, "ops.conv")
    strides = arithmetic.normalize_tuple(strides, rank, "ops.conv", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.conv")
    window, (channels, filters) = kernel_shape[:-2], kernel_shape[-2:]
    patches = _windows(_pad(x, window, strides, padding, 0.0), window, strides)
    leading = np.shape(getval(patches))[: 1 + rank]
    columns = anp.reshape(patches, (*leading, math.prod(window) * channels))
    return anp.matmul(columns, anp.reshape(kernel, (math.prod(window) * channels, filters)))


def _dilate(x, axis: int, stride: int):
    """stride - 1 zeros between neighbouring entries along `axis`."""
    if stride == 1:
        return x
    shape = np.shape(getval(x))
    n = shape[axis]
    zeros = np.zeros((*shape[: axis + 1], stride - 1, *shape[axis + 1:]), dtype=np.result_type(getval(x)))
    spread = anp.concatenate([anp.expand_dims(x, axis + 1), zeros], axis=axis + 1)
    spread = anp.reshape(spread, (*shape[:axis], n * stride, *shape[axis + 1:]))
    return spread[(slice(None),) * axis + (slice(0, (n - 1) * stride + 1),)]


def conv_transpose(inputs, kernel, strides=1, padding="valid"):
    """full[b, i*s + w, f] += x[b, i, c] * kernel[w, f, c]; the output is full[start:end] (conv_arithmetic)."""
    x, kernel = unwrap(inputs), unwrap(kernel)
    kernel_shape = np.shape(getval(kernel))
    rank = _spatial_rank(x, len(kernel_shape) - 2, "ops.conv_transpose")
    strides = arithmetic.normalize_tuple(strides, rank, "ops.conv_transpose", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.conv_transpose")
    window = kernel_shape[:-2]
    spatial = np.shape(getval(x))[1:-1]
    pads = [(0, 0)]
    for d in range(rank):
        n, k, s = spatial[d], window[d], strides[d]
        x = _dilate(x, 1 + d, s)
        start, end = arithmetic.transpose_crop(n, k, s, padding)
        # a valid stride-1 convolution of the padded, dilated input yields full[start:end]
        before = k - 1 - start
        pads.append((before, (end - start) + k - 1 - ((n - 1) * s + 1) - before))
    x = anp.pad(x, [*pads, (0, 0)], "constant")
    flipped = kernel[(slice(None, None, -1),) * rank]
    return conv(x, anp.swapaxes(flipped, -1, -2), 1, "valid")


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    """out[b, o, c] = max over window w of x[b, o*s + w, c]; 'same' padding is -inf."""
    x = unwrap(inputs)
    rank = np.ndim(getval(x)) - 2
    if rank not in (1, 2):
        raise invalid_argument("ops.max_pool", "inputs", "a tensor of rank 3 or 4 (batch, *spatial, channels)",
                               f"<shape {np.shape(getval(x))}>")
    pool = arithmetic.normalize_tuple(pool_size, rank, "ops.max_pool", "pool_size")
    strides = pool if strides is None else arithmetic.normalize_tuple(strides, rank, "ops.max_pool", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.max_pool")
    windows = _windows(_pad(x, pool, strides, padding, -np.inf), pool, strides)
    shape = np.shape(getval(windows))
    windows = anp.reshape(windows, (*shape[: 1 + rank], math.prod(pool), shape[-1]))
    return anp.max(windows, axis=1 + rank)


def embedding_lookup(table, indices):
    """table[indices] along axis 0; indices outside [0, len(table)) raise IndexError."""
    table = unwrap(table)
    indices = np.asarray(getval(unwrap(indices)))
    rows = np.shape(getval(table))[0]
    bad = (indices < 0) | (indices >= rows)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise IndexError(f"index {indices[position].item()} at position {position}, outside [0, {rows})")
    return table[indices.astype(np.int64)]

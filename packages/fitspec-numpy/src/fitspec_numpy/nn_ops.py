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
from fitspec import nn_op_checks as checks
from fitspec.variables import unwrap


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
    rank, strides, padding = checks.convolution("ops.conv", np.shape(getval(x)), kernel_shape, strides, padding)
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
    spatial = np.shape(getval(x))[1:-1]
    rank, strides, padding = checks.convolution("ops.conv_transpose", np.shape(getval(x)), kernel_shape, strides,
                                                padding)
    pads = [(0, 0)]
    for d, (n, k, s) in enumerate(zip(spatial, kernel_shape[:-2], strides)):
        x = _dilate(x, 1 + d, s)
        pads.append(arithmetic.transpose_as_convolution_padding(n, k, s, padding))
    x = anp.pad(x, [*pads, (0, 0)], "constant")
    flipped = kernel[(slice(None, None, -1),) * rank]
    return conv(x, anp.swapaxes(flipped, -1, -2), 1, "valid")


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    """out[b, o, c] = max over window w of x[b, o*s + w, c]; 'same' padding is -inf."""
    x = unwrap(inputs)
    rank, pool, strides, padding = checks.pooling(np.shape(getval(x)), pool_size, strides, padding)
    windows = _windows(_pad(x, pool, strides, padding, -np.inf), pool, strides)
    shape = np.shape(getval(windows))
    windows = anp.reshape(windows, (*shape[: 1 + rank], math.prod(pool), shape[-1]))
    return anp.max(windows, axis=1 + rank)


def embedding_lookup(table, indices):
    """table[indices] along axis 0; indices outside [0, len(table)) raise IndexError."""
    table = unwrap(table)
    indices = np.asarray(getval(unwrap(indices)))
    checks.embedding_indices(indices, np.shape(getval(table))[0])
    return table[indices.astype(np.int64)]

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


def _pad(x, pads, value: float):
    """x padded on its spatial axes by pads[d] = (before, after), with `value`."""
    if not any(before or after for before, after in pads):
        return x
    return anp.pad(x, [(0, 0), *pads, (0, 0)], "constant", constant_values=value)


def _pad_as(x, window, strides, padding: str, value: float, dilation=None):
    """x padded on its spatial axes as `padding` ('valid', 'same', 'causal') asks, with `value`."""
    spatial = np.shape(getval(x))[1:-1]
    dilation = dilation or (1,) * len(spatial)
    return _pad(x, [arithmetic.padding_amounts(n, k, s, padding, d)
                    for n, k, s, d in zip(spatial, window, strides, dilation)], value)


def _windows(x, window, strides, dilation=None):
    """(batch, *out, *window, channels): x[b, o*s + w*d, c] for every output position o and tap w, gathered by fancy
    indexing."""
    spatial = np.shape(getval(x))[1:-1]
    rank = len(spatial)
    dilation = dilation or (1,) * rank
    out = [arithmetic.output_length(n, k, s, "valid", d) for n, k, s, d in zip(spatial, window, strides, dilation)]
    index = []
    for d in range(rank):
        positions = (np.arange(out[d]) * strides[d])[:, None] + (np.arange(window[d]) * dilation[d])[None, :]
        shape = [1] * (2 * rank)
        shape[d], shape[rank + d] = out[d], window[d]
        index.append(positions.reshape(shape))
    return x[(slice(None), *index, slice(None))]


def _correlate(x, kernel, strides, dilation, groups: int):
    """The valid cross-correlation of x (already padded) with kernel (*window, channels // groups, filters): group g
    reads channels [g*cg, (g+1)*cg) and writes filters [g*fg, (g+1)*fg)."""
    kernel_shape = np.shape(getval(kernel))
    window, (per_group, filters) = kernel_shape[:-2], kernel_shape[-2:]
    patches = _windows(x, window, strides, dilation)
    leading = np.shape(getval(patches))[: 1 + len(window)]
    per_filter = filters // groups
    outputs = []
    for g in range(groups):
        part = patches if groups == 1 else patches[..., g * per_group:(g + 1) * per_group]
        weights = kernel if groups == 1 else kernel[..., g * per_filter:(g + 1) * per_filter]
        outputs.append(anp.matmul(anp.reshape(part, (*leading, math.prod(window) * per_group)),
                                  anp.reshape(weights, (math.prod(window) * per_group, per_filter))))
    return outputs[0] if groups == 1 else anp.concatenate(outputs, axis=-1)


def conv(inputs, kernel, strides=1, padding="valid", dilation_rate=1):
    """out[b, o, f] = sum over tap w and channel c of its group of x_pad[b, o*s + w*d, c] * kernel[w, c, f]."""
    x, kernel = unwrap(inputs), unwrap(kernel)
    kernel_shape = np.shape(getval(kernel))
    _, strides, padding, dilation, groups = checks.convolution("ops.conv", np.shape(getval(x)), kernel_shape,
                                                               strides, padding, dilation_rate)
    x = _pad_as(x, kernel_shape[:-2], strides, padding, 0.0, dilation)
    return _correlate(x, kernel, strides, dilation, groups)


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


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """full[b, i*s + w*d, f] += x[b, i, c] * kernel[w, f, c]: the stride-dilated input, padded as
    conv_arithmetic.transpose_padding, correlated with the flipped kernel."""
    x, kernel = unwrap(inputs), unwrap(kernel)
    kernel_shape = np.shape(getval(kernel))
    rank, strides, padding, extra, dilation = checks.convolution_transpose(
        np.shape(getval(x)), kernel_shape, strides, padding, output_padding, dilation_rate)
    pads = []
    for axis, (k, s, e, d) in enumerate(zip(kernel_shape[:-2], strides, extra, dilation)):
        x = _dilate(x, 1 + axis, s)
        pads.append(arithmetic.transpose_padding(k, s, padding, e, d))
    flipped = kernel[(slice(None, None, -1),) * rank]
    return _correlate(_pad(x, pads, 0.0), anp.swapaxes(flipped, -1, -2), (1,) * rank, dilation, 1)


def _pooled_windows(x, pool, strides, padding, value):
    rank = len(pool)
    windows = _windows(_pad_as(x, pool, strides, padding, value), pool, strides)
    shape = np.shape(getval(windows))
    return anp.reshape(windows, (*shape[: 1 + rank], math.prod(pool), shape[-1]))


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    """out[b, o, c] = max over window w of x[b, o*s + w, c]; 'same' padding is -inf."""
    x = unwrap(inputs)
    rank, pool, strides, padding = checks.pooling(np.shape(getval(x)), pool_size, strides, padding)
    return anp.max(_pooled_windows(x, pool, strides, padding, -np.inf), axis=1 + rank)


def average_pool(inputs, pool_size, strides=None, padding="valid"):
    """out[b, o, c] = the mean of x[b, o*s + w, c] over the window's positions inside x ('same' padding is not
    counted)."""
    x = unwrap(inputs)
    rank, pool, strides, padding = checks.pooling(np.shape(getval(x)), pool_size, strides, padding,
                                                  "ops.average_pool")
    sums = anp.sum(_pooled_windows(x, pool, strides, padding, 0.0), axis=1 + rank)
    if padding == "valid":
        return sums / math.prod(pool)
    ones = np.ones((1, *np.shape(getval(x))[1:-1], 1), dtype=np.result_type(getval(x)))
    return sums / np.sum(_pooled_windows(ones, pool, strides, padding, 0.0), axis=1 + rank)


def embedding_lookup(table, indices):
    """table[indices] along axis 0; indices outside [0, len(table)) raise IndexError."""
    table = unwrap(table)
    indices = np.asarray(getval(unwrap(indices)))
    checks.embedding_indices(indices, np.shape(getval(table))[0])
    return table[indices.astype(np.int64)]

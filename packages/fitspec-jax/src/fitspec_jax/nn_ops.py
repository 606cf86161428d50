"""Convolution, pooling and embedding lookup on jax.lax, channels_last (NHWC / HWIO).

Padding is explicit, from fitspec.conv_arithmetic; a transposed convolution is the convolution of
the stride-dilated input (lhs_dilation) with the flipped kernel, as in the reference. Convolutions
run at Precision.HIGHEST: no TF32 on GPU.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from fitspec import conv_arithmetic as arithmetic
from fitspec import nn_op_checks as checks
from fitspec.variables import unwrap

_DIMENSIONS = {1: ("NHC", "HIO", "NHC"), 2: ("NHWC", "HWIO", "NHWC"), 3: ("NDHWC", "DHWIO", "NDHWC")}


def _operands(inputs, kernel):
    x, kernel = jnp.asarray(unwrap(inputs)), jnp.asarray(unwrap(kernel))
    dtype = jnp.result_type(x, kernel)
    return x.astype(dtype), kernel.astype(dtype)


def conv(inputs, kernel, strides=1, padding="valid", dilation_rate=1):
    x, kernel = _operands(inputs, kernel)
    rank, strides, padding, dilation, groups = checks.convolution("ops.conv", x.shape, kernel.shape, strides,
                                                                  padding, dilation_rate)
    pads = [arithmetic.padding_amounts(n, k, s, padding, d)
            for n, k, s, d in zip(x.shape[1:-1], kernel.shape[:-2], strides, dilation)]
    return jax.lax.conv_general_dilated(x, kernel, strides, pads, rhs_dilation=dilation,
                                        dimension_numbers=_DIMENSIONS[rank], feature_group_count=groups,
                                        precision=jax.lax.Precision.HIGHEST)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    x, kernel = _operands(inputs, kernel)
    rank, strides, padding, extra, dilation = checks.convolution_transpose(x.shape, kernel.shape, strides, padding,
                                                                           output_padding, dilation_rate)
    pads = [arithmetic.transpose_padding(k, s, padding, e, d)
            for k, s, e, d in zip(kernel.shape[:-2], strides, extra, dilation)]
    flipped = jnp.swapaxes(jnp.flip(kernel, axis=tuple(range(rank))), -1, -2)
    return jax.lax.conv_general_dilated(x, flipped, (1,) * rank, pads, lhs_dilation=strides, rhs_dilation=dilation,
                                        dimension_numbers=_DIMENSIONS[rank], precision=jax.lax.Precision.HIGHEST)


def _window_pads(x, pool, strides, padding):
    pads = [arithmetic.padding_amounts(n, k, s, padding) for n, k, s in zip(x.shape[1:-1], pool, strides)]
    return (1, *pool, 1), (1, *strides, 1), ((0, 0), *pads, (0, 0))


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    x = jnp.asarray(unwrap(inputs))
    _, pool, strides, padding = checks.pooling(x.shape, pool_size, strides, padding)
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, *_window_pads(x, pool, strides, padding))


def average_pool(inputs, pool_size, strides=None, padding="valid"):
    """Window sums over the count of the window's positions inside x ('same' padding is not counted)."""
    x = jnp.asarray(unwrap(inputs))
    _, pool, strides, padding = checks.pooling(x.shape, pool_size, strides, padding, "ops.average_pool")
    window = _window_pads(x, pool, strides, padding)
    sums = jax.lax.reduce_window(x, 0.0, jax.lax.add, *window)  # a Python 0: JAX's differentiable window sum
    if padding == "valid":
        return sums / int(np.prod(pool))
    counts = jax.lax.reduce_window(np.ones((1, *x.shape[1:-1], 1), x.dtype), 0.0, jax.lax.add, *window)
    return sums / counts


def embedding_lookup(table, indices):
    """table[indices]; out-of-range indices raise IndexError in eager CPU code, else read a row of NaN."""
    table, indices = unwrap(table), unwrap(indices)
    rows = table.shape[0]
    concrete = not isinstance(indices, jax.core.Tracer) and not isinstance(table, jax.core.Tracer)
    if concrete and all(d.platform == "cpu" for d in jnp.asarray(table).devices()):
        checks.embedding_indices(np.asarray(indices), rows)
    return jnp.take(table, jnp.asarray(indices), axis=0, mode="fill", fill_value=jnp.nan)

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
from fitspec.errors import invalid_argument
from fitspec.variables import unwrap

_DIMENSIONS = {1: ("NHC", "HIO", "NHC"), 2: ("NHWC", "HWIO", "NHWC")}


def _operands(inputs, kernel, where: str):
    x, kernel = jnp.asarray(unwrap(inputs)), jnp.asarray(unwrap(kernel))
    dtype = jnp.result_type(x, kernel)
    x, kernel = x.astype(dtype), kernel.astype(dtype)
    rank = x.ndim - 2
    if rank not in (1, 2) or kernel.ndim != rank + 2:
        raise invalid_argument(where, "inputs", f"a tensor of rank {kernel.ndim} (batch, *spatial, channels)",
                               f"<shape {tuple(x.shape)}>")
    return x, kernel, rank


def conv(inputs, kernel, strides=1, padding="valid"):
    x, kernel, rank = _operands(inputs, kernel, "ops.conv")
    strides = arithmetic.normalize_tuple(strides, rank, "ops.conv", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.conv")
    pads = [arithmetic.padding_amounts(n, k, s, padding) for n, k, s in zip(x.shape[1:-1], kernel.shape[:-2], strides)]
    return jax.lax.conv_general_dilated(x, kernel, strides, pads, dimension_numbers=_DIMENSIONS[rank],
                                        precision=jax.lax.Precision.HIGHEST)


def conv_transpose(inputs, kernel, strides=1, padding="valid"):
    x, kernel, rank = _operands(inputs, kernel, "ops.conv_transpose")
    strides = arithmetic.normalize_tuple(strides, rank, "ops.conv_transpose", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.conv_transpose")
    pads = []
    for n, k, s in zip(x.shape[1:-1], kernel.shape[:-2], strides):
        start, end = arithmetic.transpose_crop(n, k, s, padding)
        before = k - 1 - start  # a valid convolution of the padded, dilated input yields full[start:end]
        pads.append((before, (end - start) + k - 1 - ((n - 1) * s + 1) - before))
    flipped = jnp.swapaxes(jnp.flip(kernel, axis=tuple(range(rank))), -1, -2)
    return jax.lax.conv_general_dilated(x, flipped, (1,) * rank, pads, lhs_dilation=strides,
                                        dimension_numbers=_DIMENSIONS[rank], precision=jax.lax.Precision.HIGHEST)


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    x = jnp.asarray(unwrap(inputs))
    rank = x.ndim - 2
    if rank not in (1, 2):
        raise invalid_argument("ops.max_pool", "inputs", "a tensor of rank 3 or 4 (batch, *spatial, channels)",
                               f"<shape {tuple(x.shape)}>")
    pool = arithmetic.normalize_tuple(pool_size, rank, "ops.max_pool", "pool_size")
    strides = pool if strides is None else arithmetic.normalize_tuple(strides, rank, "ops.max_pool", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.max_pool")
    pads = [arithmetic.padding_amounts(n, k, s, padding) for n, k, s in zip(x.shape[1:-1], pool, strides)]
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, *pool, 1),
                                 (1, *strides, 1), ((0, 0), *pads, (0, 0)))


def embedding_lookup(table, indices):
    """table[indices]; out-of-range indices raise IndexError in eager CPU code, else read a row of NaN."""
    table, indices = unwrap(table), unwrap(indices)
    rows = table.shape[0]
    concrete = not isinstance(indices, jax.core.Tracer) and not isinstance(table, jax.core.Tracer)
    if concrete and all(d.platform == "cpu" for d in jnp.asarray(table).devices()):
        values = np.asarray(indices)
        bad = (values < 0) | (values >= rows)
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            raise IndexError(f"index {values[position].item()} at position {position}, outside [0, {rows})")
    return jnp.take(table, jnp.asarray(indices), axis=0, mode="fill", fill_value=jnp.nan)

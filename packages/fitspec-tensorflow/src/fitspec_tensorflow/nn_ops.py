"""Convolution, pooling and embedding lookup on TensorFlow, channels_last.

TensorFlow's "SAME" padding is the rule Keras and fitspec state (fitspec.conv_arithmetic); a
transposed convolution is tf.nn.conv_transpose with Keras' output length.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument
from fitspec_tensorflow.ops import _promote, convert_to_tensor


def _operands(inputs, kernel, where: str):
    x, kernel = _promote(inputs, kernel)
    rank = x.shape.rank - 2
    if rank not in (1, 2) or kernel.shape.rank != rank + 2:
        raise invalid_argument(where, "inputs", f"a tensor of rank {kernel.shape.rank} (batch, *spatial, channels)",
                               f"<shape {tuple(x.shape)}>")
    return x, kernel, rank


def conv(inputs, kernel, strides=1, padding="valid"):
    x, kernel, rank = _operands(inputs, kernel, "ops.conv")
    strides = arithmetic.normalize_tuple(strides, rank, "ops.conv", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.conv")
    return tf.nn.convolution(x, kernel, strides=list(strides), padding=padding.upper())


def conv_transpose(inputs, kernel, strides=1, padding="valid"):
    x, kernel, rank = _operands(inputs, kernel, "ops.conv_transpose")
    strides = arithmetic.normalize_tuple(strides, rank, "ops.conv_transpose", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.conv_transpose")
    window, spatial = kernel.shape[:-2], x.shape[1:-1]
    lengths = [arithmetic.transpose_output_length(n, k, s, padding) for n, k, s in zip(spatial, window, strides)]
    output_shape = tf.stack([tf.shape(x)[0], *lengths, kernel.shape[-2]])
    return tf.nn.conv_transpose(x, kernel, output_shape, strides=list(strides), padding=padding.upper())


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    x = convert_to_tensor(inputs)
    rank = x.shape.rank - 2
    if rank not in (1, 2):
        raise invalid_argument("ops.max_pool", "inputs", "a tensor of rank 3 or 4 (batch, *spatial, channels)",
                               f"<shape {tuple(x.shape)}>")
    pool = arithmetic.normalize_tuple(pool_size, rank, "ops.max_pool", "pool_size")
    strides = pool if strides is None else arithmetic.normalize_tuple(strides, rank, "ops.max_pool", "strides")
    padding = arithmetic.normalize_padding(padding, "ops.max_pool")
    return tf.nn.max_pool(x, list(pool), list(strides), padding.upper())


def embedding_lookup(table, indices):
    """table[indices]; out-of-range indices raise IndexError in eager CPU code, else read a row of NaN."""
    table = convert_to_tensor(table)
    indices = tf.cast(convert_to_tensor(indices), "int64")
    rows = table.shape[0]
    if tf.executing_eagerly() and "GPU" not in table.device.upper():
        values = indices.numpy()
        bad = (values < 0) | (values >= rows)
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            raise IndexError(f"index {values[position].item()} at position {position}, outside [0, {rows})")
        return tf.gather(table, indices)
    valid = tf.logical_and(indices >= 0, indices < rows)
    found = tf.gather(table, tf.where(valid, indices, tf.zeros_like(indices)))
    return tf.where(valid[..., None], found, tf.constant(np.nan, dtype=table.dtype))

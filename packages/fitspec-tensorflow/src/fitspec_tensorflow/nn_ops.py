"""Convolution, pooling and embedding lookup on TensorFlow, channels_last.

TensorFlow's "SAME" padding is the rule Keras and fitspec state (fitspec.conv_arithmetic); a
transposed convolution is tf.nn.conv_transpose with Keras' output length.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from fitspec import conv_arithmetic as arithmetic
from fitspec import nn_op_checks as checks
from fitspec_tensorflow.ops import _promote, convert_to_tensor


def conv(inputs, kernel, strides=1, padding="valid"):
    x, kernel = _promote(inputs, kernel)
    _, strides, padding = checks.convolution("ops.conv", tuple(x.shape), tuple(kernel.shape), strides, padding)
    return tf.nn.convolution(x, kernel, strides=list(strides), padding=padding.upper())


def conv_transpose(inputs, kernel, strides=1, padding="valid"):
    x, kernel = _promote(inputs, kernel)
    _, strides, padding = checks.convolution("ops.conv_transpose", tuple(x.shape), tuple(kernel.shape), strides,
                                             padding)
    window, spatial = kernel.shape[:-2], x.shape[1:-1]
    lengths = [arithmetic.transpose_output_length(n, k, s, padding) for n, k, s in zip(spatial, window, strides)]
    output_shape = tf.stack([tf.shape(x)[0], *lengths, kernel.shape[-2]])
    return tf.nn.conv_transpose(x, kernel, output_shape, strides=list(strides), padding=padding.upper())


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    x = convert_to_tensor(inputs)
    _, pool, strides, padding = checks.pooling(tuple(x.shape), pool_size, strides, padding)
    return tf.nn.max_pool(x, list(pool), list(strides), padding.upper())


def embedding_lookup(table, indices):
    """table[indices]; out-of-range indices raise IndexError in eager CPU code, else read a row of NaN."""
    table = convert_to_tensor(table)
    indices = tf.cast(convert_to_tensor(indices), "int64")
    rows = table.shape[0]
    if tf.executing_eagerly() and "GPU" not in table.device.upper():
        checks.embedding_indices(indices.numpy(), rows)
        return tf.gather(table, indices)
    valid = tf.logical_and(indices >= 0, indices < rows)
    found = tf.gather(table, tf.where(valid, indices, tf.zeros_like(indices)))
    return tf.where(valid[..., None], found, tf.constant(np.nan, dtype=table.dtype))

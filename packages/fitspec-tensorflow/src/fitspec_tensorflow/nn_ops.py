"""Convolution, pooling and embedding lookup on TensorFlow, channels_last.

TensorFlow's "SAME" padding is the rule Keras and fitspec state (fitspec.conv_arithmetic), k_eff included; causal
and grouped convolutions pad explicitly and run "VALID", grouped ones per group (TensorFlow's grouped kernels need
XLA on CPU), depthwise ones on tf.nn.depthwise_conv2d. A transposed convolution is the full tf.nn.conv_transpose
(its kernel dilated with zeros) cropped or extended to Keras' output length.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from fitspec import conv_arithmetic as arithmetic
from fitspec import nn_op_checks as checks
from fitspec_tensorflow.ops import _promote, convert_to_tensor


def _padded(x, window, strides, padding, dilation):
    amounts = [arithmetic.padding_amounts(n, k, s, padding, d)
               for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation)]
    if not any(before or after for before, after in amounts):
        return x
    return tf.pad(x, [(0, 0), *amounts, (0, 0)])


def _depthwise(x, kernel, strides, dilation):
    """The valid depthwise convolution (kernel (*window, 1, channels*multiplier)) of 1 or 2 spatial axes."""
    rank = len(strides)
    channels = x.shape[-1]
    depthwise = tf.reshape(kernel, [*kernel.shape[:-2], channels, kernel.shape[-1] // channels])
    if rank == 1:  # a first axis of length 1: any stride along it reads its one row (TF wants equal strides)
        x, depthwise = x[:, None], depthwise[None]
        strides, dilation = (strides[0], *strides), (1, *dilation)
    out = tf.nn.depthwise_conv2d(x, depthwise, [1, *strides, 1], "VALID", dilations=list(dilation))
    return out[:, 0] if rank == 1 else out


def conv(inputs, kernel, strides=1, padding="valid", dilation_rate=1):
    x, kernel = _promote(inputs, kernel)
    rank, strides, padding, dilation, groups = checks.convolution("ops.conv", tuple(x.shape), tuple(kernel.shape),
                                                                  strides, padding, dilation_rate)
    if groups == 1 and padding != "causal":  # TensorFlow's "SAME" is Keras's, k_eff included
        return tf.nn.convolution(x, kernel, strides=list(strides), padding=padding.upper(), dilations=list(dilation))
    x = _padded(x, kernel.shape[:-2], strides, padding, dilation)
    if groups == 1:
        return tf.nn.convolution(x, kernel, strides=list(strides), padding="VALID", dilations=list(dilation))
    if kernel.shape[-2] == 1 and (rank == 1 or rank == 2 and strides[0] == strides[1]):
        return _depthwise(x, kernel, strides, dilation)
    return tf.concat([tf.nn.convolution(part, weights, strides=list(strides), padding="VALID",
                                        dilations=list(dilation))
                      for part, weights in zip(tf.split(x, groups, axis=-1), tf.split(kernel, groups, axis=-1))],
                     axis=-1)


def _dilate_kernel(kernel, dilation):
    """The kernel with d - 1 zeros between neighbouring taps of each spatial axis (exact: the zeros add nothing)."""
    for axis, d in enumerate(dilation):
        if d == 1:
            continue
        shape = kernel.shape
        zeros = tf.zeros([*shape[: axis + 1], d - 1, *shape[axis + 1:]], kernel.dtype)
        spread = tf.reshape(tf.concat([tf.expand_dims(kernel, axis + 1), zeros], axis=axis + 1),
                            [*shape[:axis], shape[axis] * d, *shape[axis + 1:]])
        kernel = spread[(slice(None),) * axis + (slice(0, (shape[axis] - 1) * d + 1),)]
    return kernel


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    x, kernel = _promote(inputs, kernel)
    rank, strides, padding, extra, dilation = checks.convolution_transpose(
        tuple(x.shape), tuple(kernel.shape), strides, padding, output_padding, dilation_rate)
    window, spatial = kernel.shape[:-2], x.shape[1:-1]
    kernel = _dilate_kernel(kernel, dilation)
    full_lengths = [(n - 1) * s + k for n, s, k in zip(spatial, strides, kernel.shape[:-2])]
    output_shape = tf.stack([tf.shape(x)[0], *full_lengths, kernel.shape[-2]])
    full = tf.nn.conv_transpose(x, kernel, output_shape, strides=list(strides), padding="VALID")
    crops, extensions = [slice(None)], [(0, 0)]
    for n, k, s, e, d, length in zip(spatial, window, strides, extra, dilation, full_lengths):
        start, end = arithmetic.transpose_crop(n, k, s, padding, e, d)
        crops.append(slice(start, min(end, length)))
        extensions.append((0, max(end - length, 0)))  # zeros past the end of the full output
    return tf.pad(full[tuple(crops)], [*extensions, (0, 0)])


def _pool(pool_fn, x, pool, strides, padding):
    """TensorFlow's pooling; in float64, whose 3-D kernels TensorFlow lacks on CPU, a 3-D window is pooled over
    (d1, d2), then over d3 (the max and the mean over a box are the iterated ones; 'SAME' counts multiply)."""
    if len(pool) < 3 or x.dtype != tf.float64:
        return pool_fn(x, list(pool), list(strides), padding.upper())
    d1, d2, d3, channels = x.shape[1:]
    y = pool_fn(tf.reshape(x, [-1, d1, d2, d3 * channels]), list(pool[:2]), list(strides[:2]), padding.upper())
    o1, o2 = y.shape[1:3]
    y = pool_fn(tf.reshape(y, [-1, d3, channels]), [pool[2]], [strides[2]], padding.upper())
    return tf.reshape(y, [-1, o1, o2, y.shape[1], channels])


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    x = convert_to_tensor(inputs)
    _, pool, strides, padding = checks.pooling(tuple(x.shape), pool_size, strides, padding)
    return _pool(tf.nn.max_pool, x, pool, strides, padding)


def average_pool(inputs, pool_size, strides=None, padding="valid"):
    """TensorFlow's average pooling: 'SAME' padding is not counted."""
    x = convert_to_tensor(inputs)
    _, pool, strides, padding = checks.pooling(tuple(x.shape), pool_size, strides, padding, "ops.average_pool")
    return _pool(tf.nn.avg_pool, x, pool, strides, padding)


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

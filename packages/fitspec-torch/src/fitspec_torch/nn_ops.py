"""Convolution, pooling and embedding lookup on torch, channels_last in and out.

torch computes channels_first, so inputs are moved to (batch, channels, *spatial) and back. Its
symmetric `padding` cannot express Keras' "same" (the odd pixel goes after), so inputs are padded
explicitly with F.pad, and a transposed convolution is cropped (or zero-extended) from its full
output (fitspec.conv_arithmetic).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fitspec import conv_arithmetic as arithmetic
from fitspec import nn_op_checks as checks
from fitspec_torch.ops import _same_dtype, _tensor

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pad_arguments(amounts) -> list[int]:
    """F.pad's flat list (last spatial axis first) from per-axis (before, after) pairs."""
    return [p for before_after in reversed(amounts) for p in before_after]


# Under torch.compile the layout changes are copies into contiguous memory: the layers compile as separate
# graphs, their spatial sizes may turn symbolic (automatic dynamic shapes), and inductor cannot order the strides
# of a permuted view of symbolic sizes (with one channel they are ambiguous). Eager torch takes the views as they are.
def _channels_first(x: torch.Tensor) -> torch.Tensor:
    x = x.movedim(-1, 1)
    return x.clone(memory_format=torch.contiguous_format) if torch.compiler.is_compiling() else x


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    x = x.movedim(1, -1)
    return x.contiguous() if torch.compiler.is_compiling() else x


def conv(inputs, kernel, strides=1, padding="valid", dilation_rate=1):
    x, kernel = _same_dtype([_tensor(inputs), _tensor(kernel)])
    rank, strides, padding, dilation, groups = checks.convolution("ops.conv", x.shape, kernel.shape, strides,
                                                                  padding, dilation_rate)
    window = kernel.shape[:-2]
    x = _channels_first(x)
    amounts = [arithmetic.padding_amounts(n, k, s, padding, d)
               for n, k, s, d in zip(x.shape[2:], window, strides, dilation)]
    if any(before or after for before, after in amounts):
        x = F.pad(x, _pad_arguments(amounts))
    weight = kernel.movedim((-1, -2), (0, 1))  # (*window, in, out) -> (out, in, *window)
    return _channels_last(_CONV[rank](x, weight, stride=strides, dilation=dilation, groups=groups))


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    x, kernel = _same_dtype([_tensor(inputs), _tensor(kernel)])
    rank, strides, padding, extra, dilation = checks.convolution_transpose(x.shape, kernel.shape, strides, padding,
                                                                           output_padding, dilation_rate)
    x = _channels_first(x)
    window, spatial = kernel.shape[:-2], x.shape[2:]
    weight = kernel.movedim((-1, -2), (0, 1))  # (*window, out, in) -> (in, out, *window)
    full = _CONV_TRANSPOSE[rank](x, weight, stride=strides, dilation=dilation)
    amounts = []
    for n, k, s, e, d, length in zip(spatial, window, strides, extra, dilation, full.shape[2:]):
        start, end = arithmetic.transpose_crop(n, k, s, padding, e, d)
        amounts.append((-start, end - length))  # negative: crop; positive: zeros past the end
    return _channels_last(F.pad(full, _pad_arguments(amounts)))


def _pooling_input(x, pool, strides, padding, value):
    x = _channels_first(x)
    if padding == "same":
        amounts = [arithmetic.same_padding(n, k, s) for n, k, s in zip(x.shape[2:], pool, strides)]
        x = F.pad(x, _pad_arguments(amounts), value=value)
    return x


def max_pool(inputs, pool_size, strides=None, padding="valid"):
    x = _tensor(inputs)
    rank, pool, strides, padding = checks.pooling(x.shape, pool_size, strides, padding)
    return _channels_last(_MAX_POOL[rank](_pooling_input(x, pool, strides, padding, float("-inf")), pool,
                                          stride=strides))


def average_pool(inputs, pool_size, strides=None, padding="valid"):
    """The mean over the window's positions inside x: with 'same' padding, the mean of the zero-padded window over
    the mean of the zero-padded ones (padding is not counted)."""
    x = _tensor(inputs)
    rank, pool, strides, padding = checks.pooling(x.shape, pool_size, strides, padding, "ops.average_pool")
    means = _AVG_POOL[rank](_pooling_input(x, pool, strides, padding, 0.0), pool, stride=strides)
    if padding == "same":
        ones = torch.ones((1, *x.shape[1:-1], 1), dtype=x.dtype, device=x.device)
        means = means / _AVG_POOL[rank](_pooling_input(ones, pool, strides, padding, 0.0), pool, stride=strides)
    return _channels_last(means)


def embedding_lookup(table, indices):
    """table[indices]; out-of-range indices raise IndexError in eager CPU code, else read a row of NaN."""
    table = _tensor(table)
    indices = _tensor(indices).to(device=table.device, dtype=torch.int64)
    rows = table.shape[0]
    if table.device.type == "cpu" and not torch.compiler.is_compiling():
        checks.embedding_indices(indices.numpy(), rows)
        return F.embedding(indices, table)
    bad = (indices < 0) | (indices >= rows)
    found = F.embedding(torch.where(bad, torch.zeros_like(indices), indices), table)
    return torch.where(bad.unsqueeze(-1), torch.full((), float("nan"), dtype=table.dtype, device=table.device), found)

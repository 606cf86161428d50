"""The argument checks of the convolution, pooling and embedding ops, written once for every backend's nn_ops.

Each returns the normalized arguments or raises the error that names the argument (docs/SPEC.md, "Layers").
"""

from __future__ import annotations

import numpy as np

from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument


def _spatial_rank(where: str, input_shape, expected_rank: int | None = None) -> int:
    """The number of spatial axes (1, 2 or 3) of inputs of rank `expected_rank` (3, 4 or 5 where None)."""
    rank = len(input_shape) - 2
    if rank not in (1, 2, 3) or expected_rank not in (None, rank + 2):
        expected = "3, 4 or 5" if expected_rank is None else expected_rank
        raise invalid_argument(where, "inputs", f"a tensor of rank {expected} (batch, *spatial, channels)",
                               f"<shape {tuple(input_shape)}>")
    return rank


def _strides_and_dilation(where: str, rank: int, strides, dilation_rate) -> tuple[tuple[int, ...], tuple[int, ...]]:
    strides = arithmetic.normalize_tuple(strides, rank, where, "strides")
    dilation = arithmetic.normalize_tuple(dilation_rate, rank, where, "dilation_rate")
    if max(strides) > 1 and max(dilation) > 1:
        raise invalid_argument(where, "dilation_rate", "1 when strides > 1 (Keras's rule)",
                               f"dilation_rate={dilation_rate} with strides={strides}")
    return strides, dilation


def convolution(where: str, input_shape, kernel_shape, strides, padding, dilation_rate=1,
                ) -> tuple[int, tuple[int, ...], str, tuple[int, ...], int]:
    """(rank, strides, padding, dilation, groups) of a convolution of inputs (batch, *spatial, channels) with a kernel
    (*window, channels // groups, filters) of as many spatial axes, 1 to 3; groups divide channels and filters."""
    rank = _spatial_rank(where, input_shape, len(kernel_shape))
    strides, dilation = _strides_and_dilation(where, rank, strides, dilation_rate)
    channels, per_group, filters = input_shape[-1], kernel_shape[-2], kernel_shape[-1]
    if channels is not None and (channels % per_group or filters % (channels // per_group)):
        raise invalid_argument(where, "kernel", f"a kernel (*window, in, out) whose in divides the {channels} input "
                               "channels into groups that also divide out", f"<shape {tuple(kernel_shape)}>")
    groups = 1 if channels is None else channels // per_group
    return rank, strides, arithmetic.normalize_padding(padding, where, allow_causal=True), dilation, groups


def convolution_transpose(input_shape, kernel_shape, strides, padding, output_padding, dilation_rate,
                          ) -> tuple[int, tuple[int, ...], str, tuple, tuple[int, ...]]:
    """(rank, strides, padding, output_padding per axis (None or ints < stride), dilation) of a transposed
    convolution of inputs (batch, *spatial, in) with a kernel (*window, out, in)."""
    where = "ops.conv_transpose"
    rank = _spatial_rank(where, input_shape, len(kernel_shape))
    strides, dilation = _strides_and_dilation(where, rank, strides, dilation_rate)
    if input_shape[-1] is not None and input_shape[-1] != kernel_shape[-1]:
        raise invalid_argument(where, "kernel", f"a kernel (*window, out, {input_shape[-1]})",
                               f"<shape {tuple(kernel_shape)}>")
    if output_padding is None:
        extra = (None,) * rank
    else:
        values = (output_padding,) * rank if isinstance(output_padding, int) else output_padding
        try:
            extra = tuple(values)
        except TypeError:
            extra = ()
        if (len(extra) != rank or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in extra)
                or any(v >= s for v, s in zip(extra, strides))):
            raise invalid_argument(where, "output_padding", f"None, or {rank} non-negative ints each less than its "
                                   f"stride {strides}", output_padding)
    return rank, strides, arithmetic.normalize_padding(padding, where), extra, dilation


def pooling(input_shape, pool_size, strides, padding, where: str = "ops.max_pool",
            ) -> tuple[int, tuple[int, ...], tuple[int, ...], str]:
    """(rank, pool, strides, padding) of a pooling of inputs (batch, *spatial, channels); strides default to the
    pool."""
    rank = _spatial_rank(where, input_shape)
    pool = arithmetic.normalize_tuple(pool_size, rank, where, "pool_size")
    strides = pool if strides is None else arithmetic.normalize_tuple(strides, rank, where, "strides")
    return rank, pool, strides, arithmetic.normalize_padding(padding, where)


def embedding_indices(indices: np.ndarray, rows: int) -> None:
    """Raise IndexError naming the first index outside [0, rows) and its position."""
    bad = (indices < 0) | (indices >= rows)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise IndexError(f"index {indices[position].item()} at position {position}, outside [0, {rows})")

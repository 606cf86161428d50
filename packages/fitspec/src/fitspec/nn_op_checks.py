"""The argument checks of the convolution, pooling and embedding ops, written once for every backend's nn_ops.

Each returns the normalized arguments or raises the error that names the argument (docs/SPEC.md, "Layers").
"""

from __future__ import annotations

import numpy as np

from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument


def _spatial_rank(where: str, input_shape, expected_rank: int | None = None) -> int:
    """The number of spatial axes (1 or 2) of inputs of rank `expected_rank` (3 or 4 where None)."""
    rank = len(input_shape) - 2
    if rank not in (1, 2) or expected_rank not in (None, rank + 2):
        expected = "3 or 4" if expected_rank is None else expected_rank
        raise invalid_argument(where, "inputs", f"a tensor of rank {expected} (batch, *spatial, channels)",
                               f"<shape {tuple(input_shape)}>")
    return rank


def convolution(where: str, input_shape, kernel_shape, strides, padding) -> tuple[int, tuple[int, ...], str]:
    """(rank, strides, padding) of a convolution of inputs (batch, *spatial, channels) with a kernel (*window, a, b)
    of as many spatial axes, 1 or 2."""
    rank = _spatial_rank(where, input_shape, len(kernel_shape))
    strides = arithmetic.normalize_tuple(strides, rank, where, "strides")
    return rank, strides, arithmetic.normalize_padding(padding, where)


def pooling(input_shape, pool_size, strides, padding) -> tuple[int, tuple[int, ...], tuple[int, ...], str]:
    """(rank, pool, strides, padding) of a max pooling of inputs (batch, *spatial, channels); strides default to the
    pool."""
    where = "ops.max_pool"
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

"""Adaptive pooling: max or mean over bins that split each spatial axis into `output_size` parts (docs/SPEC.md 8d.AP).

Bin i of an axis of length L cut into n: [floor(i·L/n), ceil((i+1)·L/n)) (PyTorch's rule, which Keras 3.15's
two-pool gather computes). Pooling a box is pooling each axis in turn, so the layers pool axis by axis.
"""

from __future__ import annotations

import numpy as np

from fitspec import conv_arithmetic as arithmetic
from fitspec.layers.convolutional import ChannelsLayout, check_input_rank
from fitspec.layers.layer import Layer


def bin_bounds(length: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the bins of an axis of `length` cut into `bins`: floor(i·L/n), ceil((i+1)·L/n)."""
    i = np.arange(bins)
    return (i * length) // bins, -((-(i + 1) * length) // bins)


def bin_indices(length: int, bins: int) -> np.ndarray:
    """(bins, widest bin) indices into the axis: bin i's positions, its last one repeated to the common width (a
    repeat changes no maximum)."""
    starts, ends = bin_bounds(length, bins)
    width = int(np.max(ends - starts))
    return np.minimum(starts[:, None] + np.arange(width)[None, :], ends[:, None] - 1)


def mean_matrix(length: int, bins: int) -> np.ndarray:
    """(bins, length): row i is 1/|bin i| on bin i's positions, 0 elsewhere."""
    starts, ends = bin_bounds(length, bins)
    positions = np.arange(length)[None, :]
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return inside / (ends - starts)[:, None]


class BaseAdaptivePooling(ChannelsLayout, Layer):
    """y = max (or mean) of x over each bin of every spatial axis; output (batch, *output_size, channels)
    (channels_first: (batch, channels, *output_size))."""

    reduction: str = "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.output_size = arithmetic.normalize_tuple(output_size, self.rank, where, "output_size")
        self.data_format = arithmetic.normalize_data_format(data_format, where)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank, self.data_format)

    def call(self, inputs):
        ops = self.ops
        check_input_rank(self, ops.shape(inputs), self.rank, self.data_format)
        x = self._to_channels_last(inputs)
        for axis, bins in enumerate(self.output_size, start=1):
            x = self._pool_axis(x, axis, bins)
        return self._from_channels_last(x)

    def _pool_axis(self, x, axis: int, bins: int):
        ops = self.ops
        length = ops.shape(x)[axis]
        if self.reduction == "mean":
            letters = "abcde"[:self.rank + 2]
            pooled = letters[:axis] + "z" + letters[axis + 1:]
            matrix = ops.convert_to_tensor(mean_matrix(length, bins), dtype=ops.dtype(x))
            return ops.einsum(f"{letters},z{letters[axis]}->{pooled}", x, matrix)
        indices = bin_indices(length, bins)
        shape = ops.shape(x)
        taken = ops.take(x, indices.reshape(-1), axis=axis)
        taken = ops.reshape(taken, (*shape[:axis], bins, indices.shape[1], *shape[axis + 1:]))
        return ops.max(taken, axis=axis + 1)

    def compute_output_shape(self, input_shape):
        return self._with_channels(input_shape[0], self.output_size, input_shape[self._channels_axis()])

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size), "data_format": self.data_format}


def _adaptive_pooling_class(kind: str, reduction: str, rank: int) -> type:
    name = f"Adaptive{kind}Pooling{rank}D"
    return type(name, (BaseAdaptivePooling,), {"rank": rank, "reduction": reduction, "__module__": __name__,
                                               "__qualname__": name, "__doc__": f"{kind} over {rank}-D bins."})


#: AdaptiveMaxPooling1D ... AdaptiveAveragePooling3D
CLASSES = {cls.__name__: cls for cls in (_adaptive_pooling_class(kind, reduction, rank)
                                         for kind, reduction in (("Max", "max"), ("Average", "mean"))
                                         for rank in (1, 2, 3))}

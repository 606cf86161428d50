"""Reshaping layers: Permute, RepeatVector, UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D, Identity.

Each moves or copies entries without arithmetic (UpSampling2D's bilinear interpolation aside), written
once against the Ops protocol: gathers (`take` with constant indices) and concatenations, so their
gradients are every framework's own (docs/SPEC.md 8d.9).
"""

from __future__ import annotations

import numpy as np

from fitspec.conv_arithmetic import normalize_data_format
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _spatial_axes(rank: int, data_format: str) -> tuple[int, ...]:
    """The spatial axes of a (batch, *spatial, channels) or (batch, channels, *spatial) input."""
    return tuple(range(2, rank + 2)) if data_format == "channels_first" else tuple(range(1, rank + 1))


def _check_rank(layer, shape, rank: int, layout: str) -> None:
    if len(shape) != rank:
        raise invalid_argument(layer.name, "inputs", f"a tensor of rank {rank} ({layout})", f"<shape {tuple(shape)}>")


def _layout(rank: int, data_format: str) -> str:
    spatial = [f"d{i + 1}" for i in range(rank)]
    names = ["channels", *spatial] if data_format == "channels_first" else [*spatial, "channels"]
    return ", ".join(["batch", *names])


def _pairs(value, rank: int, where: str, argument: str) -> tuple[tuple[int, int], ...]:
    """Keras's padding / cropping amounts: an int n (n before and after on every spatial axis), or one entry per
    axis, each an int or a (before, after) pair of ints >= 0 (1-D: the pair itself)."""
    expected = ("an int >= 0 or a tuple of 2 ints >= 0" if rank == 1 else
                f"an int >= 0, or a tuple of {rank} entries each an int >= 0 or a tuple of 2 ints >= 0")

    def pair(entry):
        if _is_int(entry):
            return (int(entry), int(entry))
        if isinstance(entry, (tuple, list)) and len(entry) == 2 and all(_is_int(e) for e in entry):
            return (int(entry[0]), int(entry[1]))
        raise invalid_argument(where, argument, expected, value)

    if rank == 1:
        pairs = (pair(value),)
    elif _is_int(value):
        pairs = (pair(value),) * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        pairs = tuple(pair(entry) for entry in value)
    else:
        raise invalid_argument(where, argument, expected, value)
    if any(n < 0 for p in pairs for n in p):
        raise invalid_argument(where, argument, expected, value)
    return pairs


def _sizes(value, rank: int, where: str, argument: str) -> tuple[int, ...]:
    """A positive int, or a tuple of `rank` positive ints."""
    values = (value,) * rank if _is_int(value) else tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None or len(values) != rank or any(not _is_int(v) or v <= 0 for v in values):
        expected = "a positive int" + (f" or a tuple of {rank} positive ints" if rank > 1 else "")
        raise invalid_argument(where, argument, expected, value)
    return tuple(int(v) for v in values)


def repeat(ops, x, times: int, axis: int):
    """Each entry along `axis` repeated `times` times in place (keras.ops.repeat with an int)."""
    n = ops.shape(x)[axis]
    return ops.take(x, np.repeat(np.arange(n), times), axis=axis)


def pad_with_zeros(ops, x, axis: int, before: int, after: int):
    """`before` zeros ahead of `x` along `axis` and `after` behind it."""
    if not before and not after:
        return x
    zeros = ops.zeros_like(ops.take(x, [0], axis=axis))
    return ops.concatenate([zeros] * before + [x] + [zeros] * after, axis=axis)


def crop(ops, x, axis: int, before: int, after: int):
    n = ops.shape(x)[axis]
    return ops.take(x, np.arange(before, n - after), axis=axis)


class Identity(Layer):
    """y = x."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Permute(Layer):
    """y = transpose(x, (0, *dims)); `dims` a permutation of 1..rank-1 (the batch axis stays first)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if (not isinstance(dims, (tuple, list)) or not all(_is_int(d) for d in dims)
                or sorted(dims) != list(range(1, len(dims) + 1))):
            raise invalid_argument("Permute", "dims", "a permutation of 1, ..., n (the batch axis 0 excluded)", dims)
        self.dims = tuple(int(d) for d in dims)

    def build(self, input_shape):
        _check_rank(self, input_shape, len(self.dims) + 1, f"batch and {len(self.dims)} more axes")

    def call(self, inputs):
        _check_rank(self, self.ops.shape(inputs), len(self.dims) + 1, f"batch and {len(self.dims)} more axes")
        return self.ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): each sample repeated n times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(n) or n <= 0:
            raise invalid_argument("RepeatVector", "n", "a positive int", n)
        self.n = int(n)

    def build(self, input_shape):
        _check_rank(self, input_shape, 2, "batch, features")

    def call(self, inputs):
        _check_rank(self, self.ops.shape(inputs), 2, "batch, features")
        return repeat(self.ops, self.ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _pairs_config(rank: int, pairs) -> list:
    """`_pairs`'s amounts as Keras's config writes them: the (before, after) pair in 1-D, else a list of pairs."""
    return list(pairs[0]) if rank == 1 else [list(p) for p in pairs]


def _edit_each_axis(ops, inputs, axes, pairs, edit):
    """inputs with `edit(ops, x, axis, before, after)` (padding or cropping) applied on each axis in turn."""
    for axis, (before, after) in zip(axes, pairs):
        inputs = edit(ops, inputs, axis, before, after)
    return inputs


class _Spatial(Layer):
    """A layer over the spatial axes of a (batch, *spatial, channels) input (or channels_first)."""

    rank: int = 2
    has_data_format: bool = True

    def _init_data_format(self, data_format):
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    @property
    def _axes(self):
        return _spatial_axes(self.rank, self.data_format if self.has_data_format else "channels_last")

    def _check(self, shape):
        _check_rank(self, shape, self.rank + 2,
                    _layout(self.rank, self.data_format if self.has_data_format else "channels_last"))

    def build(self, input_shape):
        self._check(input_shape)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for i, axis in enumerate(self._axes):
            shape[axis] = None if shape[axis] is None else self._spatial_length(shape[axis], i)
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        return {**config, "data_format": self.data_format} if self.has_data_format else config


class _UpSampling(_Spatial):
    """Each spatial entry repeated `size` times along its axis (nearest neighbour)."""

    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.size = _sizes(size, self.rank, where, "size")
        if self.has_data_format:
            self._init_data_format(data_format)

    def _spatial_length(self, n, i):
        return n * self.size[i]

    def call(self, inputs):
        self._check(self.ops.shape(inputs))
        for axis, size in zip(self._axes, self.size):
            inputs = repeat(self.ops, inputs, size, axis)
        return inputs

    def get_config(self):
        return {**super().get_config(), "size": self.size[0] if self.rank == 1 else list(self.size)}


class UpSampling1D(_UpSampling):
    rank, has_data_format = 1, False

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)


class UpSampling2D(_UpSampling):
    """interpolation "nearest" repeats entries; "bilinear" is jax.image.resize's (half-pixel centres, no
    antialiasing): output position o reads the input at (o + 0.5) / size - 0.5, linearly between its two
    neighbours, the nearest edge entry outside [0, n - 1]."""

    rank = 2
    INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)
        method = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if method not in self.INTERPOLATIONS:
            raise invalid_argument("UpSampling2D", "interpolation", "'nearest' or 'bilinear' (fitspec implements "
                                   "those two of Keras's interpolations)", interpolation)
        self.interpolation = method

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        self._check(self.ops.shape(inputs))
        for axis, size in zip(self._axes, self.size):
            inputs = self._interpolate(inputs, axis, size)
        return inputs

    def _interpolate(self, x, axis, size):
        ops = self.ops
        rank = len(ops.shape(x))
        n = ops.shape(x)[axis]
        weights = ops.convert_to_tensor(bilinear_weights(n, size), dtype=ops.dtype(x))  # (n, n * size)
        order = [d for d in range(rank) if d != axis] + [axis]
        moved = ops.matmul(ops.transpose(x, order), weights)
        return ops.transpose(moved, [order.index(d) for d in range(rank)])

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


def bilinear_weights(n: int, size: int) -> np.ndarray:
    """W (n, n * size): output o = sum_i W[i, o] x[i]; jax.image.resize's triangle-kernel weights for an upscale,
    normalised to sum 1 per output."""
    inv_scale = 1.0 / (n * size / n)
    sample = (np.arange(n * size) + 0.5) * inv_scale - 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(sample[np.newaxis, :] - np.arange(n)[:, np.newaxis]))
    return weights / weights.sum(axis=0, keepdims=True)


class UpSampling3D(_UpSampling):
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)


class _ZeroPadding(_Spatial):
    """padding[i] = (before, after) zeros on spatial axis i."""

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, type(self).__name__, "padding")
        self._init_data_format(data_format)

    def _spatial_length(self, n, i):
        return n + sum(self.padding[i])

    def call(self, inputs):
        self._check(self.ops.shape(inputs))
        return _edit_each_axis(self.ops, inputs, self._axes, self.padding, pad_with_zeros)

    def get_config(self):
        return {**super().get_config(), "padding": _pairs_config(self.rank, self.padding)}


class ZeroPadding1D(_ZeroPadding):
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    """cropping[i] = (before, after) entries removed from spatial axis i; together fewer than its length."""

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, type(self).__name__, "cropping")
        if self.has_data_format:
            self._init_data_format(data_format)

    def _spatial_length(self, n, i):
        if sum(self.cropping[i]) >= n:
            raise invalid_argument(self.name, "cropping", f"a (before, after) pair that is less than the input's "
                                   f"length {n} on spatial axis {i + 1} in all", self.cropping[i])
        return n - sum(self.cropping[i])

    def build(self, input_shape):
        super().build(input_shape)
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        shape = self.ops.shape(inputs)
        self._check(shape)
        self.compute_output_shape(tuple(shape))
        return _edit_each_axis(self.ops, inputs, self._axes, self.cropping, crop)

    def get_config(self):
        return {**super().get_config(), "cropping": _pairs_config(self.rank, self.cropping)}


class Cropping1D(_Cropping):
    rank, has_data_format = 1, False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


CLASSES = {cls.__name__: cls for cls in (
    Identity, Permute, RepeatVector, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
    ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D)}

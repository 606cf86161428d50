"""The random initializers: numpy draws from the initializer's seed (or fitspec's seed stream), cast at the end.

Keras 3's formulas; the numbers are numpy's, the same on every backend (docs/SPEC.md 3.1, 3.3).
"""

from __future__ import annotations

import math

import numpy as np

from fitspec import seeding
from fitspec.errors import invalid_argument
from fitspec.initializers.base import Initializer, check_dtype, check_number, check_shape

#: the standard deviation of N(0, 1) truncated at +-2: a truncated draw of stddev s / TRUNCATED_STDDEV has stddev s
TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """(fan_in, fan_out): with both axes lists, the products of those dims; else a kernel (..., in, out) counts the
    receptive field (the product of the leading dims) into both, a vector has fan_in = fan_out = its length, and a
    scalar 1."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def truncated_normal(rng: np.random.Generator, stddev: float, shape) -> np.ndarray:
    """N(0, stddev^2) conditioned on |x| <= 2 stddev, by redrawing the rejected entries."""
    values = rng.normal(0.0, stddev, size=shape)
    bad = np.abs(values) > 2 * stddev
    while bad.any():
        values[bad] = rng.normal(0.0, stddev, size=int(bad.sum()))
        bad = np.abs(values) > 2 * stddev
    return values


class RandomInitializer(Initializer):
    """A seeded initializer: `seed` an int (the same array at every call) or None (the next seed of fitspec's
    stream at every call, reproducible after `fs.utils.set_random_seed`)."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise invalid_argument(type(self).__name__, "seed",
                                   "an int or None (initializers draw numpy numbers, not a SeedGenerator's)", seed)
        self.seed = None if seed is None else int(seed)

    def _rng(self) -> np.random.Generator:
        return seeding.generator(None if self.seed is None else self.seed % 2**64)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """N(mean, stddev^2)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = check_number("RandomNormal", "mean", mean)
        self.stddev = check_number("RandomNormal", "stddev", stddev)

    def __call__(self, shape, dtype=None):
        shape = check_shape("RandomNormal", shape)
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(check_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """N(mean, stddev^2) conditioned on |x - mean| <= 2 stddev (entries beyond are drawn again)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = check_number("TruncatedNormal", "mean", mean)
        self.stddev = check_number("TruncatedNormal", "stddev", stddev)

    def __call__(self, shape, dtype=None):
        shape = check_shape("TruncatedNormal", shape)
        return (self.mean + truncated_normal(self._rng(), self.stddev, shape)).astype(check_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = check_number("RandomUniform", "minval", minval)
        self.maxval = check_number("RandomUniform", "maxval", maxval)

    def __call__(self, shape, dtype=None):
        shape = check_shape("RandomUniform", shape)
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(check_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """n = max(1, fan_in | fan_out | (fan_in + fan_out)/2) (`compute_fans`), v = scale / n:

    uniform: U(-sqrt(3 v), +sqrt(3 v)); untruncated_normal: N(0, v);
    truncated_normal ("normal" is its alias): N(0, (sqrt(v) / 0.87962566103423978)^2) cut at 2 stddev (variance v).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        super().__init__(seed)
        where = type(self).__name__
        if check_number(where, "scale", scale) <= 0:
            raise invalid_argument(where, "scale", "a positive number", scale)
        if mode not in MODES:
            raise invalid_argument(where, "mode", f"one of {MODES}", mode)
        if not isinstance(distribution, str) or distribution.lower() not in (*DISTRIBUTIONS, "normal"):
            raise invalid_argument(where, "distribution", f"one of {(*DISTRIBUTIONS, 'normal')}", distribution)
        distribution = distribution.lower()
        for argument, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
            if axes is not None and (not isinstance(axes, (list, tuple))
                                     or not all(isinstance(a, (int, np.integer)) for a in axes)):
                raise invalid_argument(where, argument, "a list of axis indices or None", axes)
        self.scale, self.mode = scale, mode
        self.distribution = "truncated_normal" if distribution == "normal" else distribution
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)

    def __call__(self, shape, dtype=None):
        shape = check_shape(type(self).__name__, shape)
        try:
            fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        except IndexError:
            raise invalid_argument(type(self).__name__, "shape", f"a shape with the axes {self.input_axes} and "
                                   f"{self.output_axes}", shape) from None
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "truncated_normal":
            values = truncated_normal(rng, math.sqrt(variance) / TRUNCATED_STDDEV, shape)
        else:
            values = rng.normal(0.0, math.sqrt(variance), size=shape)
        return values.astype(check_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _Preset(VarianceScaling):
    """A VarianceScaling of fixed (scale, mode, distribution): the seed and the fan axes are its arguments."""

    preset: tuple = ()

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(*self.preset, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_Preset):
    """U(-sqrt(6 / (fan_in + fan_out)), +sqrt(6 / (fan_in + fan_out)))."""

    preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal of variance 2 / (fan_in + fan_out)."""

    preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """Truncated normal of variance 2 / fan_in."""

    preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """U(-sqrt(6 / fan_in), +sqrt(6 / fan_in))."""

    preset = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal of variance 1 / fan_in."""

    preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """U(-sqrt(3 / fan_in), +sqrt(3 / fan_in))."""

    preset = (1.0, "fan_in", "uniform")


def fixed_order_sum(terms: np.ndarray) -> np.ndarray:
    """The sum over axis 0, added pairwise in a fixed order: elementwise adds only, so the same bits on every
    machine (numpy's and BLAS's reductions choose their order by CPU)."""
    while terms.shape[0] > 1:
        n = terms.shape[0]
        pairs = terms[0:n - 1:2] + terms[1:n:2]
        terms = np.concatenate([pairs, terms[n - 1:]]) if n % 2 else pairs
    return terms[0]


def _column_dots(v: np.ndarray, a: np.ndarray) -> np.ndarray:
    """v . a[:, j] for every column j."""
    return fixed_order_sum(v[:, np.newaxis] * a)


def householder_qr(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Q, diag R) of the reduced QR of a (m x n, m >= n) by Householder reflections, every sum in a fixed order.

    LAPACK's QR (numpy.linalg.qr) sums in the order of the machine's BLAS kernels, so its last bits change from
    one CPU to another; an initializer's must not (docs/SPEC.md 3.1). Q is the same matrix up to rounding.
    """
    m, n = a.shape
    r = np.array(a, dtype=np.float64)
    reflectors, diagonal = [], np.empty(n)
    for k in range(n):
        x = r[k:, k]
        norm = math.sqrt(fixed_order_sum(x * x))
        alpha = -norm if x[0] >= 0 else norm
        v = x.copy()
        v[0] -= alpha
        v_norm = math.sqrt(fixed_order_sum(v * v))
        if v_norm > 0:
            v /= v_norm
            r[k:, k:] -= 2.0 * np.multiply.outer(v, _column_dots(v, r[k:, k:]))
        reflectors.append(v if v_norm > 0 else None)
        diagonal[k] = alpha
    q = np.eye(m, n)
    for k in reversed(range(n)):
        v = reflectors[k]
        if v is not None:
            q[k:, :] -= 2.0 * np.multiply.outer(v, _column_dots(v, q[k:, :]))
    return q, diagonal


class Orthogonal(RandomInitializer):
    """gain * Q, Q orthonormal: shape (..., c) is flattened to r x c rows (r = the product of the leading dims);
    A ~ N(0, 1) of shape (max(r, c), min(r, c)) = QR, Q times sign(diag R), transposed when r < c, so
    Q^T Q = I (r >= c) or Q Q^T = I (r < c)."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = check_number("Orthogonal", "gain", gain)

    def __call__(self, shape, dtype=None):
        shape = check_shape("Orthogonal", shape)
        if len(shape) < 2:
            raise invalid_argument("Orthogonal", "shape", "a shape of rank 2 or more", shape)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r_diagonal = householder_qr(a)
        q = q * np.sign(r_diagonal)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(check_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


#: the initializer classes of this module (RandomInitializer, their base, aside), by their names
CLASSES = {cls.__name__: cls for cls in (
    GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal, RandomNormal,
    RandomUniform, TruncatedNormal, VarianceScaling)}

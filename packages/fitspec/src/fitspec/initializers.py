"""Initializers: numpy draws from a seed, cast to the variable's dtype by the backend.

Because every backend draws the same numpy numbers, the same seed gives bit-identical initial
weights everywhere (docs/SPEC.md, "Initial weights").
"""

from __future__ import annotations

import math

import numpy as np

from fitspec import seeding
from fitspec.errors import invalid_argument


def compute_fans(shape) -> tuple[float, float]:
    """(fan_in, fan_out): kernels (..., in, out) count the receptive field, as in Keras."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """`initializer(shape, dtype) -> np.ndarray`."""

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}


class Zeros(Initializer):
    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise invalid_argument(type(self).__name__, "seed", "an int or None", seed)
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return seeding.generator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_Seeded):
    """N(mean, stddev^2)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def truncated_normal(rng: np.random.Generator, stddev: float, shape) -> np.ndarray:
    """N(0, stddev^2) conditioned on |x| <= 2 stddev, by redrawing the rejected entries."""
    values = rng.normal(0.0, stddev, size=shape)
    bad = np.abs(values) > 2 * stddev
    while bad.any():
        values[bad] = rng.normal(0.0, stddev, size=int(bad.sum()))
        bad = np.abs(values) > 2 * stddev
    return values


class VarianceScaling(_Seeded):
    """n = fan_in | fan_out | (fan_in + fan_out)/2.

    uniform: U(-sqrt(3 scale / n), +sqrt(3 scale / n));
    truncated_normal: stddev = sqrt(scale / n) / 0.87962566103423978, cut at 2 stddev.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise invalid_argument("VarianceScaling", "mode", "'fan_in', 'fan_out' or 'fan_avg'", mode)
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise invalid_argument(
                "VarianceScaling", "distribution", "'uniform', 'truncated_normal' or 'untruncated_normal'", distribution
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "truncated_normal":
            values = truncated_normal(rng, math.sqrt(scale) / 0.87962566103423978, shape)
        else:
            values = rng.normal(0.0, math.sqrt(scale), size=shape)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling of fixed (scale, mode, distribution): only the seed is an argument."""

    preset: tuple = ()

    def __init__(self, seed=None):
        super().__init__(*self.preset, seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """U(-sqrt(6 / (fan_in + fan_out)), +sqrt(6 / (fan_in + fan_out)))."""

    preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal, stddev sqrt(2 / (fan_in + fan_out)) / 0.8796..."""

    preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """Truncated normal, stddev sqrt(2 / fan_in) / 0.8796..."""

    preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """U(-sqrt(6 / fan_in), +sqrt(6 / fan_in))."""

    preset = (2.0, "fan_in", "uniform")


ALL = {
    cls.__name__: cls
    for cls in (
        Zeros, Ones, Constant, RandomNormal, RandomUniform, VarianceScaling,
        GlorotUniform, GlorotNormal, HeNormal, HeUniform,
    )
}
_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform, "variance_scaling": VarianceScaling,
    "uniform": RandomUniform, "normal": RandomNormal,  # Keras' short names (Embedding's default is "uniform")
}


def serialize(initializer):
    """An initializer's Keras config {"module", "class_name", "config", "registered_name"}."""
    from fitspec.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def get(identifier) -> Initializer:
    """An initializer from an instance, a class, a name or a callable `f(shape, dtype)`."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or ALL.get(identifier)
        if cls is None:
            raise invalid_argument(
                "initializers.get", "identifier", f"one of {sorted(_ALIASES)}", identifier
            )
        return cls()
    if isinstance(identifier, dict):  # a Keras config: {"class_name", "config", ...}
        from fitspec.saving.serialization import deserialize_keras_object

        initializer = deserialize_keras_object(identifier, where="initializers.get")
        if not callable(initializer):
            raise invalid_argument("initializers.get", "identifier", "the config of an initializer", identifier)
        return initializer
    if callable(identifier):
        return identifier
    raise invalid_argument("initializers.get", "identifier", "an Initializer, a name, its config or a callable",
                           identifier)

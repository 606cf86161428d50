"""`fs.random`: draws from jax's generator, keyed by a seed.

`seed` is a `SeedGenerator` (its state, a non-trainable Variable of the layer or model that owns
it, advances at every draw and travels in the step's state, so it works inside a compiled step),
an int (the same numbers at every call), a jax key, or None (a process-wide generator; not usable
inside a compiled step, where it raises a clear error).
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np

from fitspec import seeding
from fitspec.errors import invalid_argument
from fitspec.variables import unwrap
from fitspec_jax import ops

_IMPL = "threefry2x32"


def _key_data(seed: int) -> np.ndarray:
    """The threefry key of a 64-bit seed, as `jax.random.PRNGKey(seed)` gives with x64 on, whatever x64 is."""
    return np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype="uint32")


def _check_seed(where: str, seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise invalid_argument(where, "seed", "an int in [0, 2**64)", seed)
    return int(seed)


class SeedGeneratorMixin:
    """`fs.random.SeedGenerator`: a stream of keys. Its state is a non-trainable Variable, so a layer or
    model that holds it as an attribute carries the state in `non_trainable_variables` (and through
    `stateless_call`).

    fitspec tracks it as a sublayer (the core tracks layers, metrics and Variables); Keras 3 tracks
    seed generators apart, with the same effect on the layer's variables.
    """

    def __init__(self, seed=None, name=None):
        super().__init__(name=name, trainable=False)
        seed = seeding.next_seed() if seed is None else _check_seed("SeedGenerator", seed)
        self.initial_seed = seed
        self.state = self.backend.Variable(_key_data(seed), dtype="uint32", trainable=False,
                                           name="seed_generator_state", path=f"{self.name}/seed_generator_state")
        self.built = True

    def next(self):
        """A fresh key; the state advances to the other half of the split."""
        key = jax.random.wrap_key_data(self.state.value, impl=_IMPL)
        new_state, key = jax.random.split(key)
        self.state.assign(jax.random.key_data(new_state))
        return key

    def call(self, *args, **kwargs):
        raise TypeError("SeedGenerator is not callable; pass it as `seed=` to fs.random functions.")

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}


def bind(api):
    """`Backend.random_module`: this module, with `SeedGenerator` subclassing the bound `api.layers.Layer`."""
    global SeedGenerator, _backend
    _backend = api.layers.Layer.backend
    attributes = {"__module__": __name__, "__qualname__": "SeedGenerator", "__doc__": SeedGeneratorMixin.__doc__}
    SeedGenerator = type("SeedGenerator", (SeedGeneratorMixin, api.layers.Layer), attributes)
    _global.clear()
    return sys.modules[__name__]


SeedGenerator = None  # set by bind()
_backend = None


_global = []


def _global_generator():
    if not _global:
        _global.append(SeedGenerator(name="global_seed_generator"))
    return _global[0]


def draw_key(seed, where: str = "random"):
    """A jax key for `seed`: a SeedGenerator, an int, a jax key, or None."""
    if isinstance(seed, SeedGeneratorMixin):
        return seed.next()
    if seed is None:
        return _global_generator().next()
    seed = unwrap(seed)
    if isinstance(seed, jax.Array):
        if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
            return seed
        if seed.dtype == jnp.uint32 and seed.shape == (2,):
            return jax.random.wrap_key_data(seed, impl=_IMPL)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return jax.random.wrap_key_data(jnp.asarray(_key_data(_check_seed(where, seed))), impl=_IMPL)
    raise invalid_argument(where, "seed", "a fs.random.SeedGenerator, an int, a jax key or None", seed)


def _float_dtype(where: str, dtype):
    dtype = np.dtype(dtype or _backend.floatx())
    if dtype.kind != "f":
        raise invalid_argument(where, "dtype", "a float dtype", str(dtype))
    return ops.canonical_dtype(dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """mean + stddev * N(0, 1), of `shape`."""
    dtype = _float_dtype("random.normal", dtype)
    key = draw_key(seed, "random.normal")
    return jax.random.normal(key, tuple(shape), dtype=dtype) * stddev + mean


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """U[minval, maxval), of `shape`."""
    dtype = _float_dtype("random.uniform", dtype)
    key = draw_key(seed, "random.uniform")
    return jax.random.uniform(key, tuple(shape), dtype=dtype, minval=minval, maxval=maxval)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval)."""
    key = draw_key(seed, "random.randint")
    return jax.random.randint(key, tuple(shape), minval, maxval, dtype=ops.canonical_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """inputs / (1 - rate) where a Bernoulli(1 - rate) draw keeps the entry, else 0."""
    if not 0 <= rate < 1:
        raise invalid_argument("random.dropout", "rate", "a float in [0, 1)", rate)
    inputs = ops.convert_to_tensor(inputs)
    key = draw_key(seed, "random.dropout")
    keep = jax.random.bernoulli(key, 1.0 - rate, tuple(noise_shape or inputs.shape))
    return jnp.where(keep, inputs / (1.0 - rate), jnp.zeros_like(inputs))


__all__ = ["SeedGenerator", "bind", "draw_key", "dropout", "normal", "randint", "uniform"]

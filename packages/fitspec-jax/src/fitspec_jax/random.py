"""`fs.random` on JAX: threefry keys, split at every draw.

A SeedGenerator's state (a uint32 Variable holding threefry key data) splits with
`jax.random.split` into the next state and a key; the draws are `jax.random` functions of that
key. The state travels in the step's state, so a draw works inside a jitted step; an unseeded draw
(the process-wide generator) inside a compiled step is refused by the executor with a clear error.
Besides the core's seeds (a SeedGenerator, an int, None), a jax key or its (2,) uint32 data is
accepted as `seed`. The public functions and the checks are the core's (fitspec.random).
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp

from fitspec import random as core_random
from fitspec.variables import unwrap
from fitspec_jax import ops

_IMPL = "threefry2x32"


class JaxRandom(core_random.RandomPrimitives):
    def key(self, data):
        """`jax.random.PRNGKey(seed)` as x64 gives it, whatever x64 is: the core's [high, low] words."""
        return jax.random.wrap_key_data(jnp.asarray(data), impl=_IMPL)

    def split(self, state):
        new_state, key = jax.random.split(jax.random.wrap_key_data(unwrap(state), impl=_IMPL))
        return jax.random.key_data(new_state), key

    def native_key(self, seed):
        seed = unwrap(seed)
        if isinstance(seed, jax.Array):
            if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
                return seed
            if seed.dtype == jnp.uint32 and seed.shape == (2,):
                return jax.random.wrap_key_data(seed, impl=_IMPL)
        return None

    def normal(self, key, shape, dtype):
        return jax.random.normal(key, shape, dtype=ops.canonical_dtype(dtype))

    def uniform(self, key, shape, dtype):
        return jax.random.uniform(key, shape, dtype=ops.canonical_dtype(dtype))

    def randint(self, key, shape, minval, maxval, dtype):
        return jax.random.randint(key, shape, minval, maxval, dtype=ops.canonical_dtype(dtype))

    def permutation(self, key, n):
        return jax.random.permutation(key, n)


def bind(api):
    """`JaxBackend.random_module`: this module, filled with the core's `fs.random` on JAX."""
    return core_random.bind(api, JaxRandom(), sys.modules[__name__])

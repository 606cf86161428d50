"""`fs.random` on numpy: keys are two uint32 words, draws come from numpy's PCG64 seeded by them.

A SeedGenerator's state splits through `np.random.SeedSequence` (its four words: the next state
and a key); a key seeds `np.random.default_rng`. The public functions and the checks are the core's
(fitspec.random).
"""

from __future__ import annotations

import sys

import numpy as np
from autograd.tracer import getval

from fitspec import random as core_random
from fitspec.variables import unwrap


def _words(value) -> list[int]:
    return [int(w) for w in np.asarray(getval(unwrap(value)), dtype=np.uint32)]


class NumpyRandom(core_random.RandomPrimitives):
    def key(self, data):
        return np.asarray(data, dtype=np.uint32)

    def split(self, state):
        words = np.random.SeedSequence(_words(state)).generate_state(4, dtype=np.uint32)
        return words[:2], words[2:]

    @staticmethod
    def _generator(key) -> np.random.Generator:
        return np.random.default_rng(_words(key))

    def normal(self, key, shape, dtype):
        draw_dtype = dtype if dtype in ("float32", "float64") else "float32"
        return self._generator(key).standard_normal(shape, dtype=draw_dtype).astype(dtype, copy=False)

    def uniform(self, key, shape, dtype):
        draw_dtype = dtype if dtype in ("float32", "float64") else "float32"
        return self._generator(key).random(shape, dtype=draw_dtype).astype(dtype, copy=False)

    def randint(self, key, shape, minval, maxval, dtype):
        return self._generator(key).integers(minval, maxval, size=shape, dtype=dtype)

    def permutation(self, key, n):
        return self._generator(key).permutation(n)


def bind(api):
    """`NumpyBackend.random_module`: this module, filled with the core's `fs.random` on numpy."""
    return core_random.bind(api, NumpyRandom(), sys.modules[__name__])

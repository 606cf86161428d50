"""`fs.random` on numpy: the portable generator on numpy's uint32 arrays; natively, PCG64 keyed by the key's words.

The public functions, the checks and the draws are the core's (fitspec.random, fitspec.random_draws);
this module supplies the words (numpy's uint32 arithmetic wraps as Threefry needs) and the keys.
"""

from __future__ import annotations

import sys

import numpy as np
from autograd.tracer import getval

from fitspec import random as core_random
from fitspec.threefry import Words
from fitspec.variables import unwrap

_U32 = np.uint32


def _array(value) -> np.ndarray:
    return np.asarray(getval(unwrap(value)))


class NumpyWords(Words):
    def constant(self, values):
        return np.asarray(values, dtype=_U32)

    def from_key(self, key):
        key = _array(key).astype(_U32, copy=False)
        return key[0], key[1]

    def to_key(self, high, low):
        return np.array([high, low], dtype=_U32)

    def counters(self, shape):
        low = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=_U32).reshape(shape)
        return np.zeros_like(low), low

    def add(self, a, b):
        return np.add(a, b, dtype=_U32)

    def multiply(self, a, b):
        return np.multiply(a, b, dtype=_U32)

    def remainder(self, a, b):
        return np.remainder(a, b, dtype=_U32)

    def xor(self, a, b):
        return np.bitwise_xor(a, b, dtype=_U32)

    def bitwise_and(self, a, mask):
        return np.bitwise_and(a, _U32(mask))

    def bitwise_or(self, a, b):
        return np.bitwise_or(a, b, dtype=_U32)

    def shift_left(self, a, n):
        return np.left_shift(a, _U32(n), dtype=_U32)

    def shift_right(self, a, n):
        return np.right_shift(a, _U32(n), dtype=_U32)

    def to_float(self, a, dtype):
        return np.asarray(a).astype(dtype)

    def to_int(self, a, dtype):
        return np.asarray(a).astype(dtype)

    def argsort(self, a):
        return np.argsort(a, kind="stable")


class NumpyNative(core_random.NativeDraws):
    """numpy's PCG64, seeded by the key's two words."""

    @staticmethod
    def _generator(key) -> np.random.Generator:
        return np.random.default_rng([int(w) for w in _array(key)])

    def uniform01(self, key, shape, dtype):
        draw_dtype = dtype if dtype in ("float32", "float64") else "float32"
        return self._generator(key).random(shape, dtype=draw_dtype).astype(dtype, copy=False)

    def normal01(self, key, shape, dtype):
        draw_dtype = dtype if dtype in ("float32", "float64") else "float32"
        return self._generator(key).standard_normal(shape, dtype=draw_dtype).astype(dtype, copy=False)

    def randint(self, key, shape, minval, maxval, dtype):
        return self._generator(key).integers(minval, maxval, size=shape, dtype=dtype)

    def permutation(self, key, n):
        return self._generator(key).permutation(n)


class NumpyRandom(core_random.RandomPrimitives):
    words = NumpyWords()

    def key(self, data):
        return np.asarray(data, dtype=_U32)

    def native(self, ops, portable):
        return NumpyNative(ops, portable)


def bind(api):
    """`NumpyBackend.random_module`: this module, filled with the core's `fs.random` on numpy."""
    return core_random.bind(api, NumpyRandom(), sys.modules[__name__])

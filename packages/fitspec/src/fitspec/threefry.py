"""Threefry-2x32 (20 rounds) in JAX's layout, written once against `Words`, a backend's unsigned 32-bit arithmetic.

A key is two uint32 words (k1, k2); the i-th of n draws hashes the counter i, split into its high and
low words (jax's `iota_2x32_shape`), and 32-bit draws are the two output words xor-ed: the bits of
`jax.random.bits(key, shape)` with `jax_threefry_partitionable` on (JAX's default).
"""

from __future__ import annotations

import math

import numpy as np

from fitspec.errors import invalid_argument

#: the rotation distances of the even and odd groups of four rounds (Salmon et al., 2011)
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
#: the key schedule's parity constant
PARITY = 0x1BD11BDA
MASK32 = 0xFFFFFFFF


class Words:
    """A backend's tensors of unsigned 32-bit words, with wrap-around arithmetic.

    A backend whose framework lacks some uint32 op keeps the words in another dtype (torch: int32,
    wrapping) and says so here; the core sees only these methods. Scalar words broadcast.
    """

    def constant(self, values):
        """Words holding `values` (ints or a numpy array of ints in [0, 2**32))."""
        raise NotImplementedError

    def from_key(self, key):
        """A key or seed state (the backend's (2,) uint32 tensor) as two scalar words."""
        raise NotImplementedError

    def to_key(self, high, low):
        """Two scalar words as the backend's (2,) uint32 tensor (a key, or a SeedGenerator's state)."""
        raise NotImplementedError

    def counters(self, shape):
        """(high, low): the words of the flat index of every entry of `shape`, in row-major order."""
        raise NotImplementedError

    def add(self, a, b):
        """(a + b) mod 2**32."""
        raise NotImplementedError

    def multiply(self, a, b):
        """(a * b) mod 2**32."""
        raise NotImplementedError

    def remainder(self, a, b):
        """a mod b, unsigned (b > 0)."""
        raise NotImplementedError

    def xor(self, a, b):
        raise NotImplementedError

    def bitwise_and(self, a, mask: int):
        raise NotImplementedError

    def shift_left(self, a, n: int):
        raise NotImplementedError

    def shift_right(self, a, n: int):
        """Logical (zero-filling) shift."""
        raise NotImplementedError

    def bitwise_or(self, a, b):
        raise NotImplementedError

    def rotate_left(self, a, n: int):
        return self.bitwise_or(self.shift_left(a, n), self.shift_right(a, 32 - n))

    def to_float(self, a, dtype: str):
        """The words' values as floats of `dtype` ("float32" or "float64"; exact below 2**24, resp. always)."""
        raise NotImplementedError

    def to_int(self, a, dtype: str):
        """The words' values as integers of `dtype` (values below 2**31 for signed 32-bit dtypes)."""
        raise NotImplementedError

    def argsort(self, a):
        """The stable ascending order of the unsigned words of the 1-D `a`, as an integer tensor."""
        raise NotImplementedError


def hash2x32(words: Words, k1, k2, x1, x2):
    """Threefry-2x32 of the counters (x1, x2) under the key (k1, k2): 20 rounds, a key injection every 4."""
    schedule = (k1, k2, words.xor(words.xor(k1, k2), words.constant(PARITY)))
    x1, x2 = words.add(x1, schedule[0]), words.add(x2, schedule[1])
    for i in range(5):
        for rotation in ROTATIONS[i % 2]:
            x1 = words.add(x1, x2)
            x2 = words.xor(words.rotate_left(x2, rotation), x1)
        x1 = words.add(x1, schedule[(i + 1) % 3])
        x2 = words.add(x2, words.add(schedule[(i + 2) % 3], words.constant(i + 1)))  # a scalar add
    return x1, x2


def check_size(shape) -> None:
    """Counters are one word: at most 2**32 draws at once (a symbolic shape is not checked)."""
    if not isinstance(shape, (tuple, list)) or not all(isinstance(d, (int, np.integer)) for d in shape):
        return
    if math.prod(int(d) for d in shape) >= 2**32:
        raise invalid_argument("random", "shape", "a shape of fewer than 2**32 values (one counter word)", shape)


def hashed_counters(words: Words, key, shape):
    """(bits1, bits2): the hash of every entry's counter, the two words jax's bit draws combine."""
    check_size(shape)
    k1, k2 = words.from_key(key)
    high, low = words.counters(shape)
    return hash2x32(words, k1, k2, high, low)


def split(words: Words, key, count: int = 2) -> list:
    """`jax.random.split(key, count)`: `count` keys, each the hash of the counter i."""
    k1, k2 = words.from_key(key)
    high, low = words.counters((count,))
    bits1, bits2 = hash2x32(words, k1, k2, high, low)
    return [words.to_key(bits1[i], bits2[i]) for i in range(count)]


def snapshot(words: Words, state):
    """A copy of a key or seed state, unaffected by later writes to the state (torch writes Parameters in place)."""
    return words.to_key(*words.from_key(state))


def advance(words: Words, state):
    """A SeedGenerator's next state: its low word plus one, wrapping without carry (Keras 3's `[0, 1]` increment)."""
    high, low = words.from_key(state)
    return words.to_key(high, words.add(low, words.constant(1)))

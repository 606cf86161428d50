"""`fs.random` on TensorFlow: the portable generator on tf.uint32 tensors; natively, stateless_* ops keyed by the key.

Threefry's rounds are ops on uint32 tensors (TensorFlow's uint32 arithmetic wraps), compiled by XLA
into one kernel (`jit_compile=True`; the graph executor would run some 130 ops), so a draw inside a
tf.function step reads and advances the seed state's tf.Variable in the graph; a shape may be
symbolic (`tf.shape(x)`). Under XLA multiply-adds may fuse, so the core rounds each product itself
(`fuses_multiply_add`). The public functions, the checks and the draws are the core's
(fitspec.random, fitspec.random_draws).
"""

from __future__ import annotations

import sys

import numpy as np
import tensorflow as tf

from fitspec import random as core_random
from fitspec import threefry
from fitspec.random_draws import PortableDraws
from fitspec.threefry import Words
from fitspec.variables import unwrap

_NATIVE_INTS = ("int32", "int64", "uint32", "uint64")


def _words(value):
    return tf.cast(unwrap(value), tf.uint32)


class TensorflowWords(Words):
    def constant(self, values):
        return tf.constant(np.asarray(values, dtype=np.uint32))

    def from_key(self, key):
        key = _words(key)
        return key[0], key[1]

    def to_key(self, high, low):
        return tf.stack([high, low])

    def counters(self, shape):
        low = tf.reshape(tf.range(tf.reduce_prod(tf.cast(shape, tf.int64)), dtype=tf.int64), shape)
        low = tf.cast(low, tf.uint32)
        return tf.zeros_like(low), low

    def add(self, a, b):
        return tf.add(a, b)

    def multiply(self, a, b):
        return tf.multiply(a, b)

    def remainder(self, a, b):
        return tf.math.floormod(a, b)

    def xor(self, a, b):
        return tf.bitwise.bitwise_xor(a, b)

    def bitwise_and(self, a, mask):
        return tf.bitwise.bitwise_and(a, tf.constant(mask, tf.uint32))

    def bitwise_or(self, a, b):
        return tf.bitwise.bitwise_or(a, b)

    def shift_left(self, a, n):
        return tf.bitwise.left_shift(a, tf.constant(n, tf.uint32))

    def shift_right(self, a, n):
        return tf.bitwise.right_shift(a, tf.constant(n, tf.uint32))

    def to_float(self, a, dtype):
        return tf.cast(a, dtype)

    def to_int(self, a, dtype):
        return tf.cast(a, dtype)

    def argsort(self, a):
        return tf.argsort(tf.cast(a, tf.int64), stable=True)


_WORDS = TensorflowWords()


@tf.function(jit_compile=True, autograph=False, reduce_retracing=True)
def _hash_counters(key, low):
    """The core's Threefry rounds on the flat counters (0, low) under `key`, as one XLA kernel."""
    return threefry.hash2x32(_WORDS, key[0], key[1], tf.zeros_like(low), low)


class TensorflowPortable(PortableDraws):
    """The portable generator with Threefry's rounds compiled by XLA into one kernel."""

    def hashed_counters(self, key, shape):
        threefry.check_size(shape)
        low = tf.cast(tf.range(tf.reduce_prod(tf.cast(shape, tf.int64)), dtype=tf.int64), tf.uint32)
        high, low = _hash_counters(_words(key), low)
        return tf.reshape(high, shape), tf.reshape(low, shape)


class TensorflowNative(core_random.NativeDraws):
    """TensorFlow's stateless random ops (Philox), seeded by the key as an int64 pair."""

    @staticmethod
    def _seed(key):
        return tf.cast(unwrap(key), tf.int64)

    def uniform01(self, key, shape, dtype):
        return tf.random.stateless_uniform(shape, seed=self._seed(key), dtype=dtype)

    def normal01(self, key, shape, dtype):
        return tf.random.stateless_normal(shape, seed=self._seed(key), dtype=dtype)

    def truncated_normal(self, key, shape, dtype, mean, stddev):
        return tf.random.stateless_truncated_normal(shape, seed=self._seed(key), mean=mean, stddev=stddev,
                                                    dtype=dtype)

    def randint(self, key, shape, minval, maxval, dtype):
        draw_dtype = dtype if dtype in _NATIVE_INTS else "int64"
        values = tf.random.stateless_uniform(shape, seed=self._seed(key), minval=minval, maxval=maxval,
                                             dtype=draw_dtype)
        return tf.cast(values, dtype)

    def permutation(self, key, n):
        return tf.argsort(tf.random.stateless_uniform((n,), seed=self._seed(key)))


class TensorflowRandom(core_random.RandomPrimitives):
    words = _WORDS
    fuses_multiply_add = True  # under XLA

    def portable(self, ops):
        return TensorflowPortable(self.words, ops, fuses_multiply_add=True)

    def key(self, data):
        return tf.constant(np.asarray(data, dtype=np.uint32))

    def native(self, ops, portable):
        return TensorflowNative(ops, portable)


def bind(api):
    """`TensorflowBackend.random_module`: this module, filled with the core's `fs.random` on TensorFlow."""
    return core_random.bind(api, TensorflowRandom(), sys.modules[__name__])

"""`fs.random` on TensorFlow: stateless random ops keyed by int64 seed pairs.

A SeedGenerator's state (a uint32 tf.Variable) splits with `tf.random.split` into the next state
and a key; the draws are `tf.random.stateless_*` ops on that key. Everything is graph ops, so a
draw inside a tf.function step (XLA included) reads and advances the Variable in the graph. The
public functions and the checks are the core's (fitspec.random).
"""

from __future__ import annotations

import sys

import numpy as np
import tensorflow as tf

from fitspec import random as core_random
from fitspec.variables import unwrap

_NATIVE_INTS = ("int32", "int64", "uint32", "uint64")


class TensorflowRandom(core_random.RandomPrimitives):
    def key(self, data):
        return tf.constant(np.asarray(data, dtype=np.int64))

    def split(self, state):
        pair = tf.random.split(tf.cast(unwrap(state), tf.int64), num=2)
        return tf.cast(pair[0], tf.uint32), pair[1]

    def normal(self, key, shape, dtype):
        return tf.random.stateless_normal(shape, seed=key, dtype=dtype)

    def uniform(self, key, shape, dtype):
        return tf.random.stateless_uniform(shape, seed=key, dtype=dtype)

    def randint(self, key, shape, minval, maxval, dtype):
        draw_dtype = dtype if dtype in _NATIVE_INTS else "int64"
        values = tf.random.stateless_uniform(shape, seed=key, minval=minval, maxval=maxval, dtype=draw_dtype)
        return tf.cast(values, dtype)

    def permutation(self, key, n):
        return tf.argsort(tf.random.stateless_uniform((n,), seed=key))


def bind(api):
    """`TensorflowBackend.random_module`: this module, filled with the core's `fs.random` on TensorFlow."""
    return core_random.bind(api, TensorflowRandom(), sys.modules[__name__])

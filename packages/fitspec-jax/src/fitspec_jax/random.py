"""`fs.random` on JAX: the portable generator's bits, uniforms, masks, integers and permutations are jax.random's own.

A key is the (2,) uint32 data of a threefry key; `jax.random.bits`, `uniform`, `bernoulli`, `randint`
and `permutation` give exactly the portable values (fitspec.random_draws is written in their
algorithms), so they run natively. Normals and the other float transforms are the core's: XLA fuses
multiply-adds, so this backend declares `fuses_multiply_add` and the core rounds each product itself.
Besides the core's seeds (a SeedGenerator, an int, None), a jax key or its (2,) uint32 data is
accepted as `seed`.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np

from fitspec import random as core_random
from fitspec.random_draws import PortableDraws
from fitspec.threefry import Words
from fitspec.variables import unwrap
from fitspec_jax import ops

_IMPL = "threefry2x32"
_U32 = jnp.uint32


def _key(data):
    return jax.random.wrap_key_data(jnp.asarray(unwrap(data), dtype=_U32), impl=_IMPL)


class JaxWords(Words):
    """uint32 jax arrays: jax's arithmetic wraps as Threefry needs (the portable reference, run by JAX)."""

    def constant(self, values):
        return jnp.asarray(np.asarray(values, dtype=np.uint32))

    def from_key(self, key):
        key = jnp.asarray(unwrap(key), dtype=_U32)
        return key[0], key[1]

    def to_key(self, high, low):
        return jnp.stack([high, low]).astype(_U32)

    def counters(self, shape):
        low = jnp.arange(int(np.prod(shape, dtype=np.int64)), dtype=_U32).reshape(shape)
        return jnp.zeros_like(low), low

    def add(self, a, b):
        return jnp.add(a, b).astype(_U32)

    def multiply(self, a, b):
        return jnp.multiply(a, b).astype(_U32)

    def remainder(self, a, b):
        return jax.lax.rem(jnp.asarray(a, _U32), jnp.broadcast_to(jnp.asarray(b, _U32), jnp.shape(a)))

    def xor(self, a, b):
        return jnp.bitwise_xor(a, b).astype(_U32)

    def bitwise_and(self, a, mask):
        return jnp.bitwise_and(a, _U32(mask))

    def bitwise_or(self, a, b):
        return jnp.bitwise_or(a, b).astype(_U32)

    def shift_left(self, a, n):
        return jax.lax.shift_left(a, _U32(n))

    def shift_right(self, a, n):
        return jax.lax.shift_right_logical(a, _U32(n))

    def to_float(self, a, dtype):
        return jnp.asarray(a).astype(ops.canonical_dtype(dtype))

    def to_int(self, a, dtype):
        return jnp.asarray(a).astype(ops.canonical_dtype(dtype))

    def argsort(self, a):
        return jnp.argsort(a, stable=True)


def _with_x64(method, static_argnums=None):
    """The core computes float transforms in float64: x64 is turned on for the draw (XLA mixes precisions in one
    program). With `static_argnums`, the transform is one jitted program per shape and dtype, not hundreds of ops
    dispatched (and compiled) one by one when it runs eagerly."""
    if static_argnums is not None:
        method = jax.jit(method, static_argnums=static_argnums)

    def run(self, *args):
        with jax.enable_x64(True):
            return method(self, *args)

    run.__name__, run.__doc__ = getattr(method, "__name__", "draw"), method.__doc__
    return run


def _rounded_to_half(x32, dtype):
    """float32 values rounded to float16's or bfloat16's precision (nearest, ties to even; float16's subnormals
    and overflow to infinity; NaN kept), held in float32, by integer arithmetic on their bits: XLA keeps a half
    intermediate in float32 where its excess-precision rule allows, and so may skip a cast's rounding."""
    bits = jax.lax.bitcast_convert_type(x32, _U32)
    sign, magnitude = bits & _U32(0x80000000), bits & _U32(0x7FFFFFFF)
    dropped = 16 if dtype == "bfloat16" else 13  # of float32's 23 significand bits
    rounded = (magnitude + _U32((1 << (dropped - 1)) - 1) + ((magnitude >> dropped) & _U32(1))) \
        & _U32(0xFFFFFFFF << dropped & 0xFFFFFFFF)
    if dtype == "float16":
        rounded = jnp.where(magnitude >= _U32(0x477FF000), _U32(0x7F800000), rounded)  # past 65504: infinity
        # below 2**-14, float16's subnormals: multiples of 2**-24
        exponent = magnitude >> 23
        significand = (magnitude & _U32(0x7FFFFF)) | jnp.where(exponent > 0, _U32(0x800000), _U32(0))
        shift = jnp.minimum(_U32(126) - jnp.minimum(exponent, _U32(126)), _U32(31))
        quanta = significand >> shift
        rest, half = significand - (quanta << shift), _U32(1) << (shift - _U32(1))
        quanta = quanta + ((rest > half) | ((rest == half) & ((quanta & _U32(1)) == 1))).astype(_U32)
        subnormal = jax.lax.bitcast_convert_type(quanta.astype(jnp.float32) * np.float32(2.0**-24), _U32)
        rounded = jnp.where(magnitude >= _U32(113 << 23), rounded, subnormal)
    rounded = jnp.where(magnitude > _U32(0x7F800000), magnitude, rounded)  # NaN
    return jax.lax.bitcast_convert_type(rounded | sign, jnp.float32)


class JaxPortable(PortableDraws):
    """The portable generator with jax.random's kernels for the draws they give exactly."""

    __hash__ = object.__hash__  # `self` is a static argument of the jitted transforms

    # (self, key, shape, dtype, a, b): all static but the key; categorical: (self, key, logits, samples, dtype)
    uniform = _with_x64(PortableDraws.uniform, (0, 2, 3, 4, 5))
    normal = _with_x64(PortableDraws.normal, (0, 2, 3, 4, 5))
    truncated_normal = _with_x64(PortableDraws.truncated_normal, (0, 2, 3, 4, 5))
    categorical = _with_x64(PortableDraws.categorical, (0, 3, 4))

    def bits(self, key, shape):
        return jax.random.bits(_key(key), shape, dtype=_U32)

    def _half_in_float32(self, x32, dtype):
        return _rounded_to_half(x32, dtype)

    @_with_x64
    def uniform01(self, key, shape, dtype):
        return jax.random.uniform(_key(key), shape, dtype=dtype)

    def bernoulli(self, key, p, shape):
        return jax.random.bernoulli(_key(key), np.float32(p), shape)

    def randint(self, key, shape, minval, maxval, dtype):
        values = jax.random.randint(_key(key), shape, minval, maxval, dtype="int32")
        return values.astype(ops.canonical_dtype(dtype))

    def permutation(self, key, n):
        return jax.random.permutation(_key(key), n)


class JaxNative(core_random.NativeDraws):
    """jax.random's own float transforms (its erf_inv for normals)."""

    def uniform01(self, key, shape, dtype):
        return jax.random.uniform(_key(key), shape, dtype=ops.canonical_dtype(dtype))

    def normal01(self, key, shape, dtype):
        return jax.random.normal(_key(key), shape, dtype=ops.canonical_dtype(dtype))

    def randint(self, key, shape, minval, maxval, dtype):
        return self.portable.randint(key, shape, minval, maxval, dtype)

    def permutation(self, key, n):
        return self.portable.permutation(key, n)

    def truncated_normal(self, key, shape, dtype, mean, stddev):
        z = jax.random.truncated_normal(_key(key), -2.0, 2.0, shape, dtype=ops.canonical_dtype(dtype))
        return z * stddev + mean


class JaxRandom(core_random.RandomPrimitives):
    words = JaxWords()
    fuses_multiply_add = True

    def key(self, data):
        return jnp.asarray(np.asarray(data, dtype=np.uint32))

    def portable(self, backend_ops):
        return JaxPortable(self.words, backend_ops, fuses_multiply_add=True)

    def native(self, backend_ops, portable):
        return JaxNative(backend_ops, portable)

    def native_key(self, seed):
        seed = unwrap(seed)
        if isinstance(seed, jax.Array):
            if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
                return jax.random.key_data(seed) if str(jax.random.key_impl(seed)) == _IMPL else None
            if seed.dtype == jnp.uint32 and seed.shape == (2,):
                return seed
        return None

    def is_traced(self, value) -> bool:
        return isinstance(value, jax.core.Tracer)


def bind(api):
    """`JaxBackend.random_module`: this module, filled with the core's `fs.random` on JAX."""
    return core_random.bind(api, JaxRandom(), sys.modules[__name__])

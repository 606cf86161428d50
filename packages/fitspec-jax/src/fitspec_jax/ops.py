"""The Ops protocol on jax.numpy: every op accepts Variables, numpy arrays, jax arrays and tracers.

Dtypes are canonicalized the way jax does (int64 -> int32 while `jax_enable_x64` is off), so a
requested dtype never triggers jax's truncation warning. Matmuls run at `Precision.HIGHEST`: no
TF32 on GPU, the same float32 numbers on every device.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from fitspec import foreign_arrays
from fitspec.variables import unwrap

#: the backend's floatx, for ops whose default dtype is "a float" (zeros, ones, one_hot); set by JaxBackend.
floatx = lambda: "float32"  # noqa: E731


def canonical_dtype(dtype):
    """`dtype` as jax stores it now: 64-bit types become 32-bit ones while x64 is off."""
    if dtype is None:
        return None
    return _canonical(dtype, bool(jax.config.jax_enable_x64))


@functools.lru_cache(maxsize=256)
def _canonical(dtype, x64: bool):
    return jax.dtypes.canonicalize_dtype(np.dtype(dtype))


def _unwrap_arg(a):
    if isinstance(a, (list, tuple)):
        return type(a)(unwrap(x) for x in a)
    return unwrap(a)


def _unwrapping(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*[_unwrap_arg(a) for a in args], **{k: _unwrap_arg(v) for k, v in kwargs.items()})

    return wrapper


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# -- conversion and structure ------------------------------------------------------------------
def convert_to_tensor(x, dtype=None):
    x = unwrap(x)
    if foreign_arrays.is_foreign(x, "jax"):  # a tf or torch tensor: through the host
        x = foreign_arrays.to_numpy(x)
    if dtype is None and isinstance(x, np.ndarray):
        dtype = x.dtype
    return jnp.asarray(x, dtype=canonical_dtype(dtype))


def convert_to_numpy(x):
    return np.asarray(unwrap(x))


def cast(x, dtype):
    x, dtype = unwrap(x), canonical_dtype(dtype)
    if isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer) and x.dtype == dtype and not x.weak_type:
        return x  # the common case of Variable.assign between executions: nothing to dispatch
    return jax.lax.convert_element_type(x, dtype)


def shape(x):
    return tuple(np.shape(unwrap(x)))


def ndim(x):
    return len(shape(x))


def dtype(x):
    x = unwrap(x)
    found = getattr(x, "dtype", None)
    return np.dtype(found if found is not None else jnp.result_type(x)).name


@_unwrapping
def stop_gradient(x):
    return jax.lax.stop_gradient(x)


@_unwrapping
def reshape(x, newshape):
    return jnp.reshape(x, newshape)


@_unwrapping
def expand_dims(x, axis):
    return jnp.expand_dims(x, axis)


@_unwrapping
def squeeze(x, axis=None):
    return jnp.squeeze(x, axis=axis)


@_unwrapping
def transpose(x, axes=None):
    return jnp.transpose(x, axes)


@_unwrapping
def concatenate(xs, axis=0):
    return jnp.concatenate(list(xs), axis=axis)


@_unwrapping
def stack(xs, axis=0):
    return jnp.stack(list(xs), axis=axis)


@_unwrapping
def broadcast_to(x, shape):
    return jnp.broadcast_to(x, tuple(shape))


def zeros(shape, dtype=None):
    return jnp.zeros(shape, dtype=canonical_dtype(dtype or floatx()))


def ones(shape, dtype=None):
    return jnp.ones(shape, dtype=canonical_dtype(dtype or floatx()))


def zeros_like(x, dtype=None):
    return jnp.zeros(shape(x), dtype=canonical_dtype(dtype) or _dtype_of(x))


def ones_like(x, dtype=None):
    return jnp.ones(shape(x), dtype=canonical_dtype(dtype) or _dtype_of(x))


def _dtype_of(x):
    return canonical_dtype(dtype(x))


def full(shape, fill_value, dtype=None):
    return jnp.full(shape, unwrap(fill_value), dtype=canonical_dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    return jnp.arange(start, stop, step, dtype=canonical_dtype(dtype))


# -- elementwise ---------------------------------------------------------------------------------
add = _unwrapping(jnp.add)
subtract = _unwrapping(jnp.subtract)
multiply = _unwrapping(jnp.multiply)
divide = _unwrapping(jnp.true_divide)
negative = _unwrapping(jnp.negative)
power = _unwrapping(jnp.power)
square = _unwrapping(jnp.square)
sqrt = _unwrapping(jnp.sqrt)
abs = _unwrapping(jnp.abs)  # noqa: A001 (the protocol's name)
sign = _unwrapping(jnp.sign)
exp = _unwrapping(jnp.exp)
log = _unwrapping(jnp.log)
log1p = _unwrapping(jnp.log1p)
maximum = _unwrapping(jnp.maximum)
minimum = _unwrapping(jnp.minimum)
floor = _unwrapping(jnp.floor)
ceil = _unwrapping(jnp.ceil)
cos = _unwrapping(jnp.cos)
equal = _unwrapping(jnp.equal)
not_equal = _unwrapping(jnp.not_equal)
greater = _unwrapping(jnp.greater)
greater_equal = _unwrapping(jnp.greater_equal)
less = _unwrapping(jnp.less)
less_equal = _unwrapping(jnp.less_equal)
logical_and = _unwrapping(jnp.logical_and)
logical_or = _unwrapping(jnp.logical_or)
logical_not = _unwrapping(jnp.logical_not)
isnan = _unwrapping(jnp.isnan)


@_unwrapping
def divide_no_nan(x, y):
    """x / y where y != 0, else 0; the gradient is finite everywhere (the denominator is made safe first)."""
    safe = jnp.where(y == 0, 1, y)
    return jnp.where(y == 0, 0, x / safe)


@_unwrapping
def clip(x, x_min, x_max):
    """Clipped values; the gradient is 1 strictly inside (x_min, x_max) and 0 on and beyond the bounds.

    This is autograd's (the reference's) rule; `jnp.clip` would pass half a gradient at the bounds.
    """
    x = jnp.asarray(x)
    clipped = jnp.clip(x, x_min, x_max)
    inside = jnp.logical_and(x > x_min, x < x_max)
    return jnp.where(inside, x, jax.lax.stop_gradient(clipped))


@_unwrapping
def where(condition, x, y):
    return jnp.where(condition, x, y)


# -- reductions and linear algebra -----------------------------------------------------------------
@_unwrapping
def sum(x, axis=None, keepdims=False):  # noqa: A001
    return jnp.sum(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def mean(x, axis=None, keepdims=False):
    return jnp.mean(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def max(x, axis=None, keepdims=False):  # noqa: A001
    return jnp.max(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def min(x, axis=None, keepdims=False):  # noqa: A001
    return jnp.min(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def prod(x, axis=None, keepdims=False):
    return jnp.prod(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def argmax(x, axis=-1):
    return jnp.argmax(x, axis=axis)


@_unwrapping
def matmul(x, y):
    return jnp.matmul(x, y, precision=jax.lax.Precision.HIGHEST)


@_unwrapping
def one_hot(x, num_classes, axis=-1, dtype=None):
    indices = jnp.asarray(x).astype(canonical_dtype("int64"))
    return jax.nn.one_hot(indices, num_classes, dtype=canonical_dtype(dtype or floatx()), axis=axis)


@_unwrapping
def take_along_axis(x, indices, axis):
    return jnp.take_along_axis(x, jnp.asarray(indices), axis=axis)


@_unwrapping
def take(x, indices, axis=None):
    return jnp.take(x, jnp.asarray(indices), axis=axis)


@_unwrapping
def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(x, axis=_axis(axis), keepdims=keepdims)


# -- activations -------------------------------------------------------------------------------------
sigmoid = _unwrapping(jax.nn.sigmoid)
relu = _unwrapping(jax.nn.relu)
tanh = _unwrapping(jnp.tanh)
log_sigmoid = _unwrapping(jax.nn.log_sigmoid)


@_unwrapping
def leaky_relu(x, negative_slope=0.2):
    return jnp.where(x >= 0, x, negative_slope * x)


@_unwrapping
def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(x, axis=axis)


@_unwrapping
def softmax(x, axis=-1):
    return jax.nn.softmax(x, axis=axis)


from fitspec_jax.nn_ops import conv, conv_transpose, embedding_lookup, max_pool  # noqa: E402, F401

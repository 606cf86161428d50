"""The Ops protocol on numpy, through autograd.numpy so that every op is differentiable."""

from __future__ import annotations

import functools

import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from fitspec import foreign_arrays
from fitspec.variables import unwrap


def _unwrapping(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [unwrap(a) if not isinstance(a, (list, tuple)) else type(a)(unwrap(x) for x in a) for a in args]
        return fn(*args, **{k: unwrap(v) for k, v in kwargs.items()})

    return wrapper


def _dtype_name(dtype) -> str | None:
    return None if dtype is None else np.dtype(dtype).name


def _is_traced(x) -> bool:
    return getval(x) is not x


# -- conversion and structure ------------------------------------------------------------------
def convert_to_tensor(x, dtype=None):
    x = unwrap(x)
    if foreign_arrays.is_foreign(x, "numpy"):  # a tf, torch or jax tensor: through the host
        x = foreign_arrays.to_numpy(x)
    if _is_traced(x):
        return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)
    return np.asarray(x, dtype=_dtype_name(dtype))


def convert_to_numpy(x):
    return np.asarray(getval(unwrap(x)))


def cast(x, dtype):
    x = unwrap(x)
    if _is_traced(x):
        return x if np.dtype(dtype) == x.dtype else x.astype(dtype)
    return np.asarray(x).astype(dtype, copy=False)


def shape(x):
    return tuple(np.shape(getval(unwrap(x))))


def ndim(x):
    return len(shape(x))


def dtype(x):
    return _dtype_of(x)


def _dtype_of(x) -> str:
    return np.result_type(getval(unwrap(x))).name


def stop_gradient(x):
    return getval(unwrap(x))


@_unwrapping
def reshape(x, newshape):
    return anp.reshape(x, newshape)


@_unwrapping
def expand_dims(x, axis):
    return anp.expand_dims(x, axis)


@_unwrapping
def squeeze(x, axis=None):
    return anp.squeeze(x, axis=axis)


@_unwrapping
def transpose(x, axes=None):
    return anp.transpose(x, axes)


@_unwrapping
def concatenate(xs, axis=0):
    return anp.concatenate(list(xs), axis=axis)


@_unwrapping
def stack(xs, axis=0):
    return anp.stack(list(xs), axis=axis)


@_unwrapping
def broadcast_to(x, shape):
    return anp.broadcast_to(x, tuple(shape))


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype=_dtype_name(dtype) or "float64")


def ones(shape, dtype=None):
    return np.ones(shape, dtype=_dtype_name(dtype) or "float64")


def zeros_like(x, dtype=None):
    return np.zeros(shape(x), dtype=_dtype_name(dtype) or _dtype_of(x))


def ones_like(x, dtype=None):
    return np.ones(shape(x), dtype=_dtype_name(dtype) or _dtype_of(x))


def full(shape, fill_value, dtype=None):
    return np.full(shape, fill_value, dtype=_dtype_name(dtype))


def arange(start, stop=None, step=1, dtype=None):
    return np.arange(start, stop, step, dtype=_dtype_name(dtype))


# -- elementwise ---------------------------------------------------------------------------------
add = _unwrapping(anp.add)
subtract = _unwrapping(anp.subtract)
multiply = _unwrapping(anp.multiply)
divide = _unwrapping(anp.true_divide)
negative = _unwrapping(anp.negative)
power = _unwrapping(anp.power)
square = _unwrapping(anp.square)
sqrt = _unwrapping(anp.sqrt)
abs = _unwrapping(anp.abs)  # noqa: A001 (the protocol's name)
sign = _unwrapping(anp.sign)
exp = _unwrapping(anp.exp)
log = _unwrapping(anp.log)
log1p = _unwrapping(anp.log1p)
maximum = _unwrapping(anp.maximum)
minimum = _unwrapping(anp.minimum)
floor = _unwrapping(anp.floor)
ceil = _unwrapping(anp.ceil)
cos = _unwrapping(anp.cos)
equal = _unwrapping(anp.equal)
not_equal = _unwrapping(anp.not_equal)
greater = _unwrapping(anp.greater)
greater_equal = _unwrapping(anp.greater_equal)
less = _unwrapping(anp.less)
less_equal = _unwrapping(anp.less_equal)
logical_and = _unwrapping(anp.logical_and)
logical_or = _unwrapping(anp.logical_or)
logical_not = _unwrapping(anp.logical_not)
isnan = _unwrapping(anp.isnan)


@_unwrapping
def divide_no_nan(x, y):
    safe = anp.where(y == 0, 1, y)
    return anp.where(y == 0, 0, x / safe)


@_unwrapping
def clip(x, x_min, x_max):
    return anp.clip(x, x_min, x_max)


@_unwrapping
def where(condition, x, y):
    return anp.where(condition, x, y)


# -- reductions and linear algebra -----------------------------------------------------------------
def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@_unwrapping
def sum(x, axis=None, keepdims=False):  # noqa: A001
    return anp.sum(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def mean(x, axis=None, keepdims=False):
    return anp.mean(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def max(x, axis=None, keepdims=False):  # noqa: A001
    return anp.max(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def min(x, axis=None, keepdims=False):  # noqa: A001
    return anp.min(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def prod(x, axis=None, keepdims=False):
    return anp.prod(x, axis=_axis(axis), keepdims=keepdims)


@_unwrapping
def argmax(x, axis=-1):
    return np.argmax(getval(x), axis=axis)


@_unwrapping
def matmul(x, y):
    return anp.matmul(x, y)


def one_hot(x, num_classes, axis=-1, dtype=None):
    indices = np.asarray(getval(unwrap(x))).astype(np.int64)
    out = (indices[..., None] == np.arange(num_classes)).astype(_dtype_name(dtype) or "float64")
    return np.moveaxis(out, -1, axis) if axis != -1 else out


@_unwrapping
def take_along_axis(x, indices, axis):
    """numpy.take_along_axis, written as fancy indexing (which autograd can differentiate)."""
    indices = np.asarray(getval(indices))
    axis = axis % indices.ndim
    def positions(d):
        return np.arange(indices.shape[d]).reshape([-1 if e == d else 1 for e in range(indices.ndim)])

    index = tuple(indices if d == axis else positions(d) for d in range(indices.ndim))
    return x[index]


@_unwrapping
def take(x, indices, axis=None):
    return anp.take(x, np.asarray(getval(indices)), axis=axis)


@_unwrapping
def logsumexp(x, axis=None, keepdims=False):
    m = np.max(getval(x), axis=_axis(axis), keepdims=True)
    out = anp.log(anp.sum(anp.exp(x - m), axis=_axis(axis), keepdims=True)) + m
    return out if keepdims else anp.squeeze(out, axis=_axis(axis))


# -- activations -------------------------------------------------------------------------------------
@_unwrapping
def sigmoid(x):
    """1 / (1 + exp(-x)), evaluated without overflow on both sides."""
    e = anp.exp(-anp.abs(x))
    return anp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@_unwrapping
def relu(x):
    return anp.where(x > 0, x, 0.0)


@_unwrapping
def leaky_relu(x, negative_slope=0.2):
    return anp.where(x >= 0, x, negative_slope * x)


tanh = _unwrapping(anp.tanh)


@_unwrapping
def log_softmax(x, axis=-1):
    return x - logsumexp(x, axis=axis, keepdims=True)


@_unwrapping
def softmax(x, axis=-1):
    return anp.exp(log_softmax(x, axis=axis))


@_unwrapping
def log_sigmoid(x):
    """-log(1 + exp(-x)) = min(x, 0) - log1p(exp(-|x|))"""
    return anp.minimum(x, 0.0) - anp.log1p(anp.exp(-anp.abs(x)))


from fitspec_numpy.nn_ops import conv, conv_transpose, embedding_lookup, max_pool  # noqa: E402, F401

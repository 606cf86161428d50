"""The Ops protocol on numpy, through autograd.numpy so that every op is differentiable.

The ops numpy-style modules share come from fitspec.numpy_style_ops; this module writes what the
reference does its own way: conversions of traced values, and numerically careful activations.
"""

from __future__ import annotations

import autograd.numpy as anp
import autograd.scipy.special as aspecial
import numpy as np
from autograd.tracer import getval

from fitspec import foreign_arrays
from fitspec.floatx import Floatx
from fitspec.numpy_style_ops import NumpyStyle
from fitspec.numpy_style_ops import axis_argument as _axis
from fitspec.numpy_style_ops import unwrapping as _unwrapping
from fitspec.variables import unwrap

#: the backend's default float dtype (fs.config.floatx): float64, the reference's
floatx = Floatx("float64")


def _dtype_name(dtype) -> str | None:
    """numpy's name of `dtype`; bfloat16 is refused even where ml_dtypes (imported by jax or tensorflow) has made
    it a numpy dtype, so that the reference has the same dtypes in every process."""
    name = None if dtype is None else np.dtype(dtype).name
    if name == "bfloat16":
        raise TypeError("fitspec_numpy has no bfloat16 (numpy's IEEE dtypes only)")
    return name


def _is_traced(x) -> bool:
    return getval(x) is not x


def _dtype_of(x) -> str:
    return np.result_type(getval(unwrap(x))).name


_style = NumpyStyle(anp, floatx, _dtype_of, _dtype_name)
_float_valued = _style.float_valued
globals().update(_style.ops())  # structure, elementwise, reductions, creation: numpy's own


# -- conversion and structure ------------------------------------------------------------------
def convert_to_tensor(x, dtype=None):
    x = unwrap(x)
    if foreign_arrays.is_foreign(x, "numpy"):  # a tf, torch or jax tensor: through the host
        x = foreign_arrays.to_numpy(x)
    if _is_traced(x):
        return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)
    return np.asarray(x, dtype=_dtype_name(dtype) or floatx.of_python(x))


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


def stop_gradient(x):
    return getval(unwrap(x))


# -- elementwise ---------------------------------------------------------------------------------
@_unwrapping
def clip(x, x_min, x_max):
    return anp.clip(x, x_min, x_max)


# -- reductions and linear algebra -----------------------------------------------------------------
@_unwrapping
def argmax(x, axis=-1):
    return np.argmax(getval(x), axis=axis)


@_unwrapping
def matmul(x, y):
    return anp.matmul(x, y)


def einsum(subscripts, *operands):
    """autograd.numpy.einsum (differentiable) over operands of one dtype: two float dtypes meet in the wider."""
    operands = [unwrap(x) for x in operands]
    dtype = np.result_type(*[getval(x) for x in operands])
    return anp.einsum(subscripts, *[x if _dtype_of(x) == dtype.name else cast(x, dtype) for x in operands])


def one_hot(x, num_classes, axis=-1, dtype=None):
    indices = np.asarray(getval(unwrap(x))).astype(np.int64)
    out = (indices[..., None] == np.arange(num_classes)).astype(_dtype_name(dtype) or floatx())
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
    """By indexing, which autograd differentiates (its anp.take has no gradient)."""
    indices = np.asarray(getval(indices))
    if axis is None:
        return anp.reshape(x, (-1,))[indices]
    axis = axis % anp.ndim(x)
    return x[(slice(None),) * axis + (indices,)]


@_float_valued
def logsumexp(x, axis=None, keepdims=False):
    m = np.max(getval(x), axis=_axis(axis), keepdims=True)
    out = anp.log(anp.sum(anp.exp(x - m), axis=_axis(axis), keepdims=True)) + m
    return out if keepdims else anp.squeeze(out, axis=_axis(axis))


# -- activations -------------------------------------------------------------------------------------
@_float_valued
def sigmoid(x):
    """1 / (1 + exp(-x)), evaluated without overflow on both sides. |x| written as a select: autograd's derivative
    of abs at 0 is 0, which gave sigmoid'(0) = 0 where it is 1/4."""
    e = anp.exp(-anp.where(x >= 0, x, -x))
    return anp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@_unwrapping
def relu(x):
    return anp.where(x > 0, x, 0.0)


@_float_valued
def log_softmax(x, axis=-1):
    return x - logsumexp(x, axis=axis, keepdims=True)


@_float_valued
def softmax(x, axis=-1):
    return anp.exp(log_softmax(x, axis=axis))


erf = _float_valued(aspecial.erf)


@_float_valued
def log_sigmoid(x):
    """-log(1 + exp(-x)) = min(x, 0) - log1p(exp(-|x|))"""
    return anp.minimum(x, 0.0) - anp.log1p(anp.exp(-anp.abs(x)))


from fitspec_numpy.nn_ops import average_pool, conv, conv_transpose, embedding_lookup, max_pool  # noqa: E402, F401


def scan(f, init, xs):
    """jax.lax.scan's contract by a Python loop (fitspec.scan_loop)."""
    return _scan_by_loop(globals()["stack"], f, init, xs)  # `stack` is one of _style.ops()


from fitspec.scan_loop import scan_by_loop as _scan_by_loop  # noqa: E402

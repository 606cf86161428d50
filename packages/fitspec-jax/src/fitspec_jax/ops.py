"""The Ops protocol on jax.numpy: every op accepts Variables, numpy arrays, jax arrays and tracers.

The ops numpy-style modules share come from fitspec.numpy_style_ops. Dtypes are canonicalized
the way jax does (int64 -> int32 while `jax_enable_x64` is off), so a requested dtype never
triggers jax's truncation warning. Matmuls run at `Precision.HIGHEST`: no TF32 on GPU, the same
float32 numbers on every device.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from fitspec import foreign_arrays
from fitspec.floatx import Floatx
from fitspec.numpy_style_ops import NumpyStyle
from fitspec.numpy_style_ops import axis_argument as _axis
from fitspec.numpy_style_ops import unwrapping as _unwrapping
from fitspec.variables import unwrap

#: the backend's default float dtype (fs.config.floatx); JaxBackend.set_floatx also switches x64 for float64
floatx = Floatx("float32")


def canonical_dtype(dtype):
    """`dtype` as jax stores it now: 64-bit types become 32-bit ones while x64 is off."""
    if dtype is None:
        return None
    return _canonical(dtype, bool(jax.config.jax_enable_x64))


@functools.lru_cache(maxsize=256)
def _canonical(dtype, x64: bool):
    return jax.dtypes.canonicalize_dtype(np.dtype(dtype))


def dtype(x):
    x = unwrap(x)
    found = getattr(x, "dtype", None)
    return np.dtype(found if found is not None else jnp.result_type(x)).name


_style = NumpyStyle(jnp, floatx, dtype, canonical_dtype)
_float_valued = _style.float_valued
globals().update(_style.ops())  # structure, elementwise, reductions, creation: numpy's own


# -- conversion and structure ------------------------------------------------------------------
def convert_to_tensor(x, dtype=None):
    x = unwrap(x)
    if foreign_arrays.is_foreign(x, "jax"):  # a tf or torch tensor: through the host
        x = foreign_arrays.to_numpy(x)
    if dtype is None:
        dtype = x.dtype if isinstance(x, np.ndarray) else floatx.of_python(x)
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


@_unwrapping
def stop_gradient(x):
    return jax.lax.stop_gradient(x)


# -- elementwise ---------------------------------------------------------------------------------
@_unwrapping
def clip(x, x_min, x_max):
    """Clipped values; the gradient is 1 strictly inside (x_min, x_max) and 0 on and beyond the bounds.

    This is autograd's (the reference's) rule; `jnp.clip` would pass half a gradient at the bounds.
    """
    x = jnp.asarray(x)
    clipped = jnp.clip(x, x_min, x_max)
    inside = jnp.logical_and(x > x_min, x < x_max)
    return jnp.where(inside, x, jax.lax.stop_gradient(clipped))


# -- reductions and linear algebra -----------------------------------------------------------------
@_unwrapping
def argmax(x, axis=-1):
    return jnp.argmax(x, axis=axis)


@_unwrapping
def matmul(x, y):
    return jnp.matmul(x, y, precision=jax.lax.Precision.HIGHEST)


def einsum(subscripts, *operands):
    """jnp.einsum at Precision.HIGHEST, as matmul (no TF32 on GPU)."""
    return jnp.einsum(subscripts, *[unwrap(x) for x in operands], precision=jax.lax.Precision.HIGHEST)


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


@_float_valued
def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(x, axis=_axis(axis), keepdims=keepdims)


# -- activations -------------------------------------------------------------------------------------
sigmoid = _float_valued(jax.nn.sigmoid)
relu = _unwrapping(jax.nn.relu)
log_sigmoid = _float_valued(jax.nn.log_sigmoid)
erf = _float_valued(jax.lax.erf)


@_float_valued
def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(x, axis=axis)


@_float_valued
def softmax(x, axis=-1):
    return jax.nn.softmax(x, axis=axis)


from fitspec_jax.nn_ops import average_pool, conv, conv_transpose, embedding_lookup, max_pool  # noqa: E402, F401


def scan(f, init, xs):
    """jax.lax.scan while tracing (a jitted step: the loop compiles once with it); eagerly, a Python loop of
    eager ops (fitspec.scan_loop), since an eager lax.scan compiles its body at every call. The same numbers."""
    import optree

    from fitspec.scan_loop import scan_by_loop
    from fitspec.variables import unwrap

    init, xs = optree.tree_map(unwrap, init), optree.tree_map(unwrap, xs)
    if not any(isinstance(leaf, jax.core.Tracer) for leaf in optree.tree_leaves((init, xs))):
        return scan_by_loop(globals()["stack"], f, init, xs)  # `stack` is one of _style.ops()
    return jax.lax.scan(f, init, xs)

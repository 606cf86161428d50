"""The Ops protocol on TensorFlow tensors, with keras.ops semantics.

TensorFlow does not promote dtypes: `float32 + float64` is an error. Binary ops here promote the
way keras.ops does: a Python scalar takes the tensor's dtype (a Python float with an integer tensor
gives floatx), an int with a float gives the float, two floats or two ints give the wider one.
"""

from __future__ import annotations

import builtins

import numpy as np
import tensorflow as tf

from fitspec import foreign_arrays
from fitspec.floatx import Floatx
from fitspec.ops_protocol import ops_of, unary_ops
from fitspec.variables import Variable

#: the backend's default float dtype (fs.config.floatx)
floatx = Floatx("float32")


def _t(x):
    """A tensor-like: the current value of a Variable, anything else unchanged."""
    return x.value if isinstance(x, Variable) else x


def _is_weak(x) -> bool:
    """Python scalars adopt the dtype of the tensor they meet."""
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


def _dtype_name(dtype) -> str | None:
    if dtype is None:
        return None
    if isinstance(dtype, tf.DType):
        return dtype.name
    return np.dtype(dtype).name


def _result_dtype(a: str, b: str) -> str:
    if a == b:
        return a
    a_kind, b_kind = np.dtype(a).kind, np.dtype(b).kind
    if a_kind == "f" and b_kind != "f":
        return a
    if b_kind == "f" and a_kind != "f":
        return b
    return np.promote_types(a, b).name


def _promote(*values):
    """Tensors of one dtype from tensors, arrays, Variables and Python scalars (keras.ops rules)."""
    values = [_t(v) for v in values]
    strong = [v for v in values if not _is_weak(v)]
    if not strong:
        dtype = floatx() if builtins.any(isinstance(v, float) for v in values) else None
        return [convert_to_tensor(v, dtype) for v in values]
    strong = [convert_to_tensor(v) for v in strong]
    dtype = strong[0].dtype.name
    for v in strong[1:]:
        dtype = _result_dtype(dtype, v.dtype.name)
    if np.dtype(dtype).kind != "f" and builtins.any(isinstance(v, float) for v in values if _is_weak(v)):
        dtype = floatx()
    return [tf.constant(np.asarray(v, dtype=dtype)) if _is_weak(v) else cast(v, dtype) for v in values]


def _binary(fn):
    def op(x, y):
        return fn(*_promote(x, y))

    return op


def _axis(axis):
    return list(axis) if isinstance(axis, (tuple, list)) else axis


# -- conversion and structure ------------------------------------------------------------------
def convert_to_tensor(x, dtype=None):
    x = _t(x)
    if foreign_arrays.is_foreign(x, "tensorflow"):  # a torch or jax tensor: through the host
        x = foreign_arrays.to_numpy(x)
    dtype = _dtype_name(dtype)
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        if dtype is not None and x.dtype.name != dtype:
            return tf.cast(x, dtype)
        return tf.convert_to_tensor(x)
    if dtype is None:
        dtype = floatx.of_python(x)
    if dtype is None and isinstance(x, (list, tuple)):
        array = np.asarray(x)
        dtype = "int32" if array.dtype.kind in "iu" else None
        x = array
    if dtype is not None:
        x = np.asarray(x, dtype=dtype)
    return tf.convert_to_tensor(x)


def convert_to_numpy(x):
    x = _t(x)
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        return x.numpy()
    return np.asarray(x)


def cast(x, dtype):
    x = _t(x)
    dtype = _dtype_name(dtype)
    if not (tf.is_tensor(x) or isinstance(x, tf.Variable)):
        return convert_to_tensor(x, dtype)
    return x if x.dtype.name == dtype and tf.is_tensor(x) else tf.cast(x, dtype)


def shape(x):
    """Static dimensions; a dimension unknown while tracing is a scalar tensor, as in keras.ops."""
    x = _t(x)
    if not (tf.is_tensor(x) or isinstance(x, tf.Variable)):
        return tuple(np.shape(x))
    static = x.shape.as_list()
    if None not in static:
        return tuple(static)
    dynamic = tf.shape(x)
    return tuple(d if d is not None else dynamic[i] for i, d in enumerate(static))


def ndim(x):
    return len(shape(x))


def dtype(x):
    x = _t(x)
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        return x.dtype.name
    return convert_to_tensor(x).dtype.name


def reshape(x, newshape):
    return tf.reshape(convert_to_tensor(x), newshape)


def expand_dims(x, axis):
    return tf.expand_dims(convert_to_tensor(x), axis)


def squeeze(x, axis=None):
    return tf.squeeze(convert_to_tensor(x), axis=_axis(axis))


def transpose(x, axes=None):
    return tf.transpose(convert_to_tensor(x), perm=axes)


def concatenate(xs, axis=0):
    return tf.concat(_promote(*xs), axis=axis)


def stack(xs, axis=0):
    return tf.stack(_promote(*xs), axis=axis)


def broadcast_to(x, shape):
    return tf.broadcast_to(convert_to_tensor(x), shape)


def zeros(shape, dtype=None):
    return tf.zeros(shape, dtype=_dtype_name(dtype) or floatx())


def ones(shape, dtype=None):
    return tf.ones(shape, dtype=_dtype_name(dtype) or floatx())


def zeros_like(x, dtype=None):
    return tf.zeros_like(convert_to_tensor(x), dtype=_dtype_name(dtype))


def ones_like(x, dtype=None):
    return tf.ones_like(convert_to_tensor(x), dtype=_dtype_name(dtype))


def full(shape, fill_value, dtype=None):
    return tf.fill(shape, convert_to_tensor(fill_value, _dtype_name(dtype) or floatx()))


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = floatx() if builtins.any(isinstance(v, float) for v in (start, stop, step)) else "int32"
    return tf.range(start, stop, step, dtype=_dtype_name(dtype))


# -- elementwise ---------------------------------------------------------------------------------
globals().update(ops_of(_binary, {
    "add": tf.add, "subtract": tf.subtract, "multiply": tf.multiply, "maximum": tf.maximum, "minimum": tf.minimum,
    "equal": tf.equal, "not_equal": tf.not_equal, "greater": tf.greater, "greater_equal": tf.greater_equal,
    "less": tf.less, "less_equal": tf.less_equal,
}))


def _float_operand(x):
    x = convert_to_tensor(x)
    return x if x.dtype.is_floating else tf.cast(x, floatx())


# one-argument ops: the framework's function of the converted operand; where the value is a float, of the
# operand in floatx if it is an integer
globals().update(unary_ops(convert_to_tensor, {
    "stop_gradient": tf.stop_gradient, "negative": tf.negative, "square": tf.square, "abs": tf.abs,
    "sign": tf.sign, "relu": tf.nn.relu,
}))
globals().update(unary_ops(_float_operand, {
    "sqrt": tf.sqrt, "exp": tf.exp, "log": tf.math.log, "log1p": tf.math.log1p, "floor": tf.floor,
    "ceil": tf.math.ceil, "cos": tf.cos, "sigmoid": tf.sigmoid, "tanh": tf.tanh,
    "log_sigmoid": tf.math.log_sigmoid, "expm1": tf.math.expm1, "erf": tf.math.erf,
}))


def divide(x, y):
    x, y = _promote(x, y)
    if not x.dtype.is_floating:
        x, y = tf.cast(x, floatx()), tf.cast(y, floatx())
    return tf.divide(x, y)


def divide_no_nan(x, y):
    x, y = _promote(x, y)
    if not x.dtype.is_floating:
        x, y = tf.cast(x, floatx()), tf.cast(y, floatx())
    return tf.math.divide_no_nan(x, y)


def power(x, y):
    return tf.pow(*_promote(x, y))


def clip(x, x_min, x_max):
    x = convert_to_tensor(x)
    return tf.clip_by_value(x, cast(x_min, x.dtype), cast(x_max, x.dtype))


def where(condition, x, y):
    x, y = _promote(x, y)
    return tf.where(tf.cast(convert_to_tensor(condition), "bool"), x, y)


def logical_and(x, y):
    return tf.logical_and(cast(x, "bool"), cast(y, "bool"))


def logical_or(x, y):
    return tf.logical_or(cast(x, "bool"), cast(y, "bool"))


def logical_not(x):
    return tf.logical_not(cast(x, "bool"))


def isnan(x):
    x = convert_to_tensor(x)
    return tf.math.is_nan(x) if x.dtype.is_floating else tf.zeros_like(x, dtype="bool")


# -- reductions and linear algebra -----------------------------------------------------------------
def _reducible(x):
    x = convert_to_tensor(x)
    return tf.cast(x, "int32") if x.dtype == tf.bool else x


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_sum(_reducible(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean of integers is a float (floatx), as in keras.ops."""
    return tf.reduce_mean(_float_operand(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_max(_reducible(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return tf.reduce_min(_reducible(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return tf.reduce_prod(_reducible(x), axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=-1):
    return tf.argmax(convert_to_tensor(x), axis=axis)


def matmul(x, y):
    x, y = _promote(x, y)
    if x.shape.rank >= 2 and y.shape.rank >= 2:
        return tf.linalg.matmul(x, y)
    # numpy semantics for vectors: contract the last axis of x with the first (or only) axis of y.
    y_axis = 0 if y.shape.rank == 1 else y.shape.rank - 2
    return tf.tensordot(x, y, axes=[[x.shape.rank - 1], [y_axis]])


def einsum(subscripts, *operands):
    return tf.einsum(subscripts, *_promote(*operands))


def one_hot(x, num_classes, axis=-1, dtype=None):
    indices = tf.cast(convert_to_tensor(x), "int64")
    return tf.one_hot(indices, num_classes, axis=axis, dtype=_dtype_name(dtype) or floatx())


def take_along_axis(x, indices, axis):
    x = convert_to_tensor(x)
    indices = tf.cast(convert_to_tensor(indices), "int64")
    rank = x.shape.rank
    axis = axis % rank
    # gather along `axis` with the leading axes as batch dimensions: move `axis` last first.
    perm = [d for d in range(rank) if d != axis] + [axis]
    inverse = np.argsort(perm).tolist()
    x_t = tf.transpose(x, perm)
    indices_t = tf.transpose(tf.broadcast_to(indices, _broadcast_shape(x, indices, axis)), perm)
    out = tf.gather(x_t, indices_t, batch_dims=rank - 1)
    return tf.transpose(out, inverse)


def _broadcast_shape(x, indices, axis):
    """The shape `indices` broadcast against `x` on every axis but `axis`."""
    x_shape, i_shape = shape(x), shape(indices)
    return [i_shape[d] if d == axis else x_shape[d] for d in range(len(x_shape))]


def take(x, indices, axis=None):
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.gather(x, tf.cast(convert_to_tensor(indices), "int64"), axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(_float_operand(x), axis=_axis(axis), keepdims=keepdims)


# -- activations -------------------------------------------------------------------------------------
def leaky_relu(x, negative_slope=0.2):
    """x if x >= 0 else negative_slope * x (the reference's gradient at 0 is 1, not negative_slope)."""
    x = convert_to_tensor(x)
    return tf.where(x >= 0, x, x * tf.constant(negative_slope, dtype=x.dtype))


def softmax(x, axis=-1):
    return tf.nn.softmax(_float_operand(x), axis=axis)


def log_softmax(x, axis=-1):
    return tf.nn.log_softmax(_float_operand(x), axis=axis)


from fitspec_tensorflow.nn_ops import average_pool, conv, conv_transpose, embedding_lookup, max_pool  # noqa: E402, F401


def scan(f, init, xs):
    """A tf.while_loop over the steps inside a tf.function (after step 0 runs alone to give the outputs' shapes
    and dtypes, as Keras's TF loop does); a Python loop when eager."""
    import optree

    from fitspec.scan_loop import scan_by_loop
    from fitspec.variables import unwrap

    if not tf.inside_function():
        return scan_by_loop(stack, f, init, xs)
    leaves, treedef = optree.tree_flatten(optree.tree_map(unwrap, xs))
    leaves = [tf.convert_to_tensor(leaf) for leaf in leaves]
    steps = int(leaves[0].shape[0])
    carry, first = f(init, optree.tree_unflatten(treedef, [leaf[0] for leaf in leaves]))
    first_leaves, y_tree = optree.tree_flatten(first)
    carry_leaves, carry_tree = optree.tree_flatten(carry)
    arrays = [tf.TensorArray(y.dtype, size=steps, element_shape=y.shape).write(0, y) for y in first_leaves]

    def body(t, carry_leaves, arrays):
        carry = optree.tree_unflatten(carry_tree, list(carry_leaves))
        carry, y = f(carry, optree.tree_unflatten(treedef, [tf.gather(leaf, t) for leaf in leaves]))
        return (t + 1, optree.tree_leaves(carry),
                [array.write(t, value) for array, value in zip(arrays, optree.tree_leaves(y))])

    _, carry_leaves, arrays = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(1), carry_leaves, arrays))
    ys = optree.tree_unflatten(y_tree, [array.stack() for array in arrays])
    return optree.tree_unflatten(carry_tree, list(carry_leaves)), ys

"""The Ops protocol: the array functions a backend implements, with Keras 3 `keras.ops` semantics.

The core's losses, metrics, optimizers, activations and layers are written once against these
names. Each backend exposes its implementation as `fs.ops`; every function accepts Variables
(read through their current value) as well as tensors.
"""

from __future__ import annotations

#: name -> one-line contract. `tests/test_ops_protocol.py` of each backend checks it is complete.
OPS: dict[str, str] = {
    # conversion and structure
    "convert_to_tensor": "(x, dtype=None) -> tensor; floats of numpy inputs keep their dtype unless dtype is given",
    "convert_to_numpy": "(x) -> np.ndarray",
    "cast": "(x, dtype) -> tensor",
    "shape": "(x) -> tuple of ints",
    "ndim": "(x) -> int",
    "dtype": "(x) -> dtype name as str, e.g. 'float32'",
    "reshape": "(x, newshape)",
    "expand_dims": "(x, axis)",
    "squeeze": "(x, axis=None)",
    "transpose": "(x, axes=None)",
    "concatenate": "(xs, axis=0)",
    "stack": "(xs, axis=0)",
    "broadcast_to": "(x, shape)",
    "zeros": "(shape, dtype=None)",
    "ones": "(shape, dtype=None)",
    "zeros_like": "(x, dtype=None)",
    "ones_like": "(x, dtype=None)",
    "full": "(shape, fill_value, dtype=None)",
    "arange": "(start, stop=None, step=1, dtype=None)",
    "stop_gradient": "(x) -> x with no gradient flowing through it",
    # elementwise
    "add": "(x, y)",
    "subtract": "(x, y)",
    "multiply": "(x, y)",
    "divide": "(x, y)",
    "divide_no_nan": "(x, y) -> x / y where y != 0, else 0",
    "negative": "(x)",
    "power": "(x, y)",
    "square": "(x)",
    "sqrt": "(x)",
    "abs": "(x)",
    "sign": "(x)",
    "exp": "(x)",
    "log": "(x)",
    "log1p": "(x)",
    "expm1": "(x) -> exp(x) - 1, accurate near 0",
    "erf": "(x) -> the error function",
    "maximum": "(x, y)",
    "minimum": "(x, y)",
    "clip": "(x, x_min, x_max)",
    "where": "(condition, x, y)",
    "equal": "(x, y)",
    "not_equal": "(x, y)",
    "greater": "(x, y)",
    "greater_equal": "(x, y)",
    "less": "(x, y)",
    "less_equal": "(x, y)",
    "logical_and": "(x, y)",
    "logical_or": "(x, y)",
    "logical_not": "(x)",
    "isnan": "(x)",
    "floor": "(x)",
    "ceil": "(x)",
    "cos": "(x)",
    # reductions and linear algebra
    "sum": "(x, axis=None, keepdims=False)",
    "mean": "(x, axis=None, keepdims=False)",
    "max": "(x, axis=None, keepdims=False)",
    "min": "(x, axis=None, keepdims=False)",
    "prod": "(x, axis=None, keepdims=False)",
    "argmax": "(x, axis=-1) -> int tensor",
    "matmul": "(x, y)",
    "einsum": "(subscripts, *operands) -> numpy.einsum's contraction (explicit '->' form, '...' allowed); operands "
              "of two float dtypes meet in the wider",
    "one_hot": "(x, num_classes, axis=-1, dtype=None) -> float tensor",
    "take_along_axis": "(x, indices, axis)",
    "take": "(x, indices, axis=None)",
    "logsumexp": "(x, axis=None, keepdims=False)",
    # activations
    "sigmoid": "(x)",
    "relu": "(x)",
    "leaky_relu": "(x, negative_slope=0.2)",
    "tanh": "(x)",
    "softmax": "(x, axis=-1)",
    "log_softmax": "(x, axis=-1)",
    "log_sigmoid": "(x)",
    # convolution and pooling, channels_last: inputs (batch, *spatial, channels) with 1, 2 or 3 spatial axes;
    # strides and dilation_rate an int or a tuple (not both > 1); padding "valid" or "same", and "causal" for conv
    # (fitspec.conv_arithmetic, docs/SPEC.md "Layers")
    "conv": "(inputs, kernel, strides=1, padding='valid', dilation_rate=1) -> cross-correlation; kernel "
            "(*window, in // groups, out): groups = in // kernel.shape[-2] (a depthwise convolution is in groups)",
    "conv_transpose": "(inputs, kernel, strides=1, padding='valid', output_padding=None, dilation_rate=1) -> the "
                      "transpose of conv; kernel (*window, out, in); length n*s ('same') or (n-1)*s + max(k, s) "
                      "('valid') without output_padding",
    "max_pool": "(inputs, pool_size, strides=None, padding='valid') -> max over windows; strides default to "
                "pool_size; 'same' padding never wins the max",
    "average_pool": "(inputs, pool_size, strides=None, padding='valid') -> mean over windows; 'same' padding is not "
                    "counted",
    "embedding_lookup": "(table, indices) -> table[indices] along axis 0; an index outside [0, len(table)) raises "
                        "IndexError where the indices are a concrete CPU array, else gives a row of NaN",
    # loops (docs/SPEC.md "Recurrent")
    "scan": "(f, init, xs) -> (carry, ys): carry, y_t = f(carry, xs[t]) over the leading axis of xs (a structure "
            "of tensors), ys the y_t stacked (jax.lax.scan's contract); the backend's loop engine",
}


def missing_ops(namespace) -> list[str]:
    """The protocol names `namespace` does not provide."""
    return [name for name in OPS if not callable(getattr(namespace, name, None))]


def ops_of(make_op, functions: dict) -> dict:
    """{name: make_op(function)}, each op named `name`: the ops one wrapper makes of a framework's functions."""
    ops = {name: make_op(fn) for name, fn in functions.items()}
    for name, op in ops.items():
        op.__name__ = op.__qualname__ = name
    return ops


def unary_ops(operand, functions: dict) -> dict:
    """{name: op} with op(x) = functions[name](operand(x)): one-argument ops of a framework whose functions take its
    tensors; `operand` converts what the protocol accepts (Variables, arrays, Python scalars) to one."""

    def make(fn):
        def op(x):
            return fn(operand(x))

        return op

    return ops_of(make, functions)

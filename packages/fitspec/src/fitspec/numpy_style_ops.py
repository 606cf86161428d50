"""The Ops protocol over an array module with numpy's API (autograd.numpy, jax.numpy), written once.

`NumpyStyle(xp, ...).ops()` gives the ops such a module implements as numpy names them; a backend's
ops module takes them and writes only what differs (conversion, matmul, activations, ...).
keras.ops dtype rules are applied here, since numpy's differ: a Python float with an integer array,
the true division of integers and a float function of integers (sqrt, exp, mean, ...) give floatx.
"""

from __future__ import annotations

import functools

import numpy as np

from fitspec.variables import unwrap

#: the ops that are the module's function of the same name on unwrapped arguments
ELEMENTWISE = ("negative", "square", "abs", "sign", "equal", "not_equal", "greater", "greater_equal", "less",
               "less_equal", "logical_and", "logical_or", "logical_not", "isnan")
#: arithmetic where a Python float meeting an integer array makes the array floatx first
ARITHMETIC = ("add", "subtract", "multiply", "power", "maximum", "minimum")
#: functions whose value is a float: integer (and bool) inputs are taken as floatx
FLOAT_VALUED = ("sqrt", "exp", "expm1", "log", "log1p", "floor", "ceil", "cos", "tanh")
REDUCTIONS = ("sum", "max", "min", "prod")


def _unwrap_arg(a):
    if isinstance(a, (list, tuple)):
        return type(a)(unwrap(x) for x in a)
    return unwrap(a)


def unwrapping(fn):
    """`fn` with Variables (also inside list and tuple arguments) replaced by their current values."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*[_unwrap_arg(a) for a in args], **{k: _unwrap_arg(v) for k, v in kwargs.items()})

    return wrapper


def axis_argument(axis):
    """A list of axes as the tuple numpy-style modules take."""
    return tuple(axis) if isinstance(axis, list) else axis


def _is_python_float(x) -> bool:
    return isinstance(x, float) and not isinstance(x, np.generic)


class NumpyStyle:
    """The protocol ops of `xp` with keras.ops dtype rules.

    `floatx` is the backend's fitspec.floatx.Floatx, `dtype_of(x)` the dtype name of an array of the backend,
    `creation_dtype(dtype)` the dtype `xp` is given for a requested one (e.g. jax's canonical dtype).
    """

    def __init__(self, xp, floatx, dtype_of, creation_dtype):
        self.xp, self.floatx, self.dtype_of, self.creation_dtype = xp, floatx, dtype_of, creation_dtype

    def integral(self, x) -> bool:
        """Whether `x` (not a Python float) has an integer or bool dtype."""
        return not _is_python_float(x) and np.dtype(self.dtype_of(x)).kind in "biu"

    def as_float(self, x):
        """`x` in floatx if it is integral, else unchanged: the operand of a function whose value is a float."""
        return self.xp.asarray(x).astype(self.creation_dtype(self.floatx())) if self.integral(x) else x

    def float_valued(self, fn):
        """`fn` of one array operand (Variables unwrapped), integral operands taken as floatx first."""
        return unwrapping(functools.wraps(fn)(lambda x, *args, **kwargs: fn(self.as_float(x), *args, **kwargs)))

    def ops(self) -> dict:
        """Protocol name -> op, for every op written here."""
        xp, floatx, dtype_of, creation_dtype = self.xp, self.floatx, self.dtype_of, self.creation_dtype
        integral, as_float = self.integral, self.as_float

        def arithmetic(fn):
            def op(x, y):
                if _is_python_float(y) and not isinstance(x, (int, float)):
                    x = as_float(x)
                elif _is_python_float(x) and not isinstance(y, (int, float)):
                    y = as_float(y)
                return fn(x, y)

            return unwrapping(functools.wraps(fn)(op))

        def reduction(fn, operand=lambda x: x):
            @unwrapping
            def op(x, axis=None, keepdims=False):
                return fn(operand(x), axis=axis_argument(axis), keepdims=keepdims)

            op.__name__ = fn.__name__
            return op

        @unwrapping
        def divide(x, y):
            """True division; integer operands divide in floatx."""
            if (integral(x) or _is_python_float(x) or isinstance(x, int)) and integral(y):
                y = as_float(y)
            if integral(x):
                x = as_float(x)
            return xp.true_divide(x, y)

        @unwrapping
        def divide_no_nan(x, y):
            """x / y where y != 0, else 0; the gradient is finite everywhere (the denominator is made safe first)."""
            safe = xp.where(y == 0, 1, y)
            return xp.where(y == 0, 0, divide(x, safe))

        @unwrapping
        def where(condition, x, y):
            return xp.where(condition, x, y)

        @unwrapping
        def leaky_relu(x, negative_slope=0.2):
            """x if x >= 0 else negative_slope * x (gradient 1 at 0)."""
            return xp.where(x >= 0, x, negative_slope * x)

        def zeros(shape, dtype=None):
            return xp.zeros(shape, dtype=creation_dtype(dtype or floatx()))

        def ones(shape, dtype=None):
            return xp.ones(shape, dtype=creation_dtype(dtype or floatx()))

        def zeros_like(x, dtype=None):
            return xp.zeros(np.shape(unwrap(x)), dtype=creation_dtype(dtype or dtype_of(x)))

        def ones_like(x, dtype=None):
            return xp.ones(np.shape(unwrap(x)), dtype=creation_dtype(dtype or dtype_of(x)))

        def full(shape, fill_value, dtype=None):
            return xp.full(shape, unwrap(fill_value), dtype=creation_dtype(dtype or floatx()))

        def arange(start, stop=None, step=1, dtype=None):
            dtype = dtype or floatx.of_python([start, stop or 0, step])
            return xp.arange(start, stop, step, dtype=creation_dtype(dtype))

        structure = {
            "reshape": lambda x, newshape: xp.reshape(x, newshape),
            "expand_dims": lambda x, axis: xp.expand_dims(x, axis),
            "squeeze": lambda x, axis=None: xp.squeeze(x, axis=axis),
            "transpose": lambda x, axes=None: xp.transpose(x, axes),
            "concatenate": lambda xs, axis=0: xp.concatenate(list(xs), axis=axis),
            "stack": lambda xs, axis=0: xp.stack(list(xs), axis=axis),
            "broadcast_to": lambda x, shape: xp.broadcast_to(x, tuple(shape)),
        }
        ops = {name: unwrapping(fn) for name, fn in structure.items()}
        ops.update({name: unwrapping(getattr(xp, name)) for name in ELEMENTWISE})
        ops.update({name: arithmetic(getattr(xp, name)) for name in ARITHMETIC})
        ops.update({name: self.float_valued(getattr(xp, name)) for name in FLOAT_VALUED})
        ops.update({name: reduction(getattr(xp, name)) for name in REDUCTIONS})
        ops["mean"] = reduction(xp.mean, as_float)
        for fn in (divide, divide_no_nan, where, leaky_relu, zeros, ones, zeros_like, ones_like, full, arange):
            ops[fn.__name__] = fn
        for name, fn in ops.items():
            fn.__name__ = fn.__qualname__ = name
        return ops

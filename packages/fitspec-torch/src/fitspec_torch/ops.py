"""The Ops protocol (fitspec.ops_protocol) on torch tensors, with keras.ops semantics.

Tensors are created on the backend's current device, read from the backend object this module is
bound to (`bind_backend`), never from a global switch of torch's; floats default to `floatx`.
Every function accepts Variables (read through their current value), numpy arrays and Python
scalars as well as tensors.
"""

from __future__ import annotations

import builtins

import numpy as np
import torch
import torch.nn.functional as F

from fitspec import foreign_arrays
from fitspec.floatx import Floatx
from fitspec.ops_protocol import ops_of, unary_ops
from fitspec.variables import Variable

#: the backend's default float dtype (fs.config.floatx)
floatx = Floatx("float32")
_backend = None

DTYPES = {
    "float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
    "int8": torch.int8, "int16": torch.int16, "int32": torch.int32, "int64": torch.int64, "uint8": torch.uint8,
    "uint32": torch.uint32,
    "bool": torch.bool, "complex64": torch.complex64, "complex128": torch.complex128,
}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


def bind_backend(backend) -> None:
    """Read the device from `backend` (one TorchBackend per process)."""
    global _backend
    _backend = backend


def _device():
    return _backend.device


def _floatx():
    return DTYPES[floatx()]


#: the common spellings looked up in one step (this runs in every op that takes a dtype)
_KNOWN_DTYPES = {**DTYPES, **{d: d for d in DTYPES.values()}}


def to_torch_dtype(dtype):
    """'float32', np.float32, torch.float32 -> torch.float32; None stays None."""
    if dtype is None:
        return None
    if type(dtype) is str or type(dtype) is torch.dtype:
        found = _KNOWN_DTYPES.get(dtype)
        if found is not None:
            return found
    if isinstance(dtype, torch.dtype):
        return dtype
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if name not in DTYPES:
        raise ValueError(f"fitspec_torch: argument `dtype` expected one of {sorted(DTYPES)}; received {dtype!r}.")
    return DTYPES[name]


def _tensor(x, dtype=None):
    """Any operand -> a tensor; Python floats become floatx, numpy arrays keep their dtype."""
    if isinstance(x, torch.Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    if isinstance(x, Variable):
        return _tensor(x.value, dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        array = np.asarray(x)
        if array.dtype == object:
            raise TypeError(f"fitspec_torch.ops: cannot convert an object array to a tensor; received {x!r:.80}.")
        if not (array.flags.writeable and array.flags.c_contiguous):
            array = array.copy(order="C")
        return torch.from_numpy(array).to(device=_device(), dtype=dtype)
    if dtype is None:
        if isinstance(x, bool):
            dtype = torch.bool
        elif isinstance(x, float):
            dtype = _floatx()
        elif isinstance(x, (list, tuple)):
            if _has_tensors(x):
                return torch.stack([_tensor(e) for e in x])
            return _tensor(np.asarray(x), DTYPES.get(floatx.of_python(x)))
    return torch.as_tensor(x, dtype=dtype, device=_device())


def _has_tensors(xs) -> bool:
    return any(isinstance(e, (torch.Tensor, Variable)) for e in xs)


def _operands(x, y, scalars=False):
    """Two operands as tensors (or, with `scalars`, a Python scalar kept as is where torch types it as keras does).

    A Python scalar is weakly typed: it takes the other operand's dtype, except that a float
    scalar with an integer tensor gives floatx.
    """
    if isinstance(x, Variable):
        x = x.value
    if isinstance(y, Variable):
        y = y.value
    x_is, y_is = isinstance(x, torch.Tensor), isinstance(y, torch.Tensor)
    if x_is and y_is:
        return x, y
    if x_is:
        return x, _scalar_like(y, x, scalars)
    if y_is:
        return _scalar_like(x, y, scalars), y
    return _tensor(x), _tensor(y)


def _scalar_like(s, other: torch.Tensor, keep_scalar: bool):
    if isinstance(s, bool):
        return torch.tensor(s, dtype=other.dtype, device=other.device)
    if isinstance(s, int):
        if keep_scalar and other.dtype != torch.bool:
            return s
        return torch.tensor(s, dtype=other.dtype if other.dtype != torch.bool else torch.int64, device=other.device)
    if isinstance(s, float):
        if other.is_floating_point():
            return s if keep_scalar else torch.tensor(s, dtype=other.dtype, device=other.device)
        return torch.tensor(s, dtype=_floatx(), device=other.device)
    t = _tensor(s)
    return t if t.device == other.device else t.to(other.device)


# -- conversion and structure ------------------------------------------------------------------
def convert_to_tensor(x, dtype=None):
    if isinstance(x, torch.Tensor) and (dtype is None or _has_dtype(x, dtype)):
        return x  # already converted (the common call, on every step): no dtype resolution
    if foreign_arrays.is_foreign(x, "torch"):  # a tf or jax tensor: through the host
        x = foreign_arrays.to_numpy(x)
    return _tensor(x, to_torch_dtype(dtype))


def _has_dtype(t: torch.Tensor, dtype) -> bool:
    """Whether `t` has `dtype`, given as a name or a torch dtype (False for other spellings: the caller converts)."""
    return (type(dtype) is str or type(dtype) is torch.dtype) and t.dtype is _KNOWN_DTYPES.get(dtype)


def convert_to_numpy(x):
    if isinstance(x, Variable):
        return x.numpy()
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def cast(x, dtype):
    if isinstance(x, torch.Tensor) and _has_dtype(x, dtype):
        return x  # already of that dtype (see convert_to_tensor)
    return _tensor(x, to_torch_dtype(dtype))


def shape(x):
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    if isinstance(x, Variable):
        return x.shape
    return tuple(np.shape(x))


def ndim(x):
    return len(shape(x))


def dtype(x):
    if isinstance(x, Variable):
        return x.dtype
    if isinstance(x, torch.Tensor):
        return DTYPE_NAMES[x.dtype]
    return DTYPE_NAMES[_tensor(x).dtype]


def reshape(x, newshape):
    return torch.reshape(_tensor(x), tuple(newshape) if not isinstance(newshape, int) else (newshape,))


def expand_dims(x, axis):
    x = _tensor(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    for a in sorted(a % out_ndim for a in axes):
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _tensor(x)
    if axis is None:
        return torch.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"fitspec_torch.ops.squeeze: argument `axis` expected axes of size 1; received axis={axis} "
                f"for shape {tuple(x.shape)}."
            )
    return torch.squeeze(x, dim=tuple(a % x.ndim for a in axes))


def transpose(x, axes=None):
    x = _tensor(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    return x.permute(tuple(axes))


def _same_dtype(tensors):
    result = tensors[0].dtype
    for t in tensors[1:]:
        result = torch.promote_types(result, t.dtype)
    return [t if t.dtype == result else t.to(result) for t in tensors]


def concatenate(xs, axis=0):
    return torch.cat(_same_dtype([_tensor(x) for x in xs]), dim=axis)


def stack(xs, axis=0):
    return torch.stack(_same_dtype([_tensor(x) for x in xs]), dim=axis)


def broadcast_to(x, shape):
    return torch.broadcast_to(_tensor(x), tuple(shape))


def _shape_tuple(shape):
    return (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)


def zeros(shape, dtype=None):
    return torch.zeros(_shape_tuple(shape), dtype=to_torch_dtype(dtype) or _floatx(), device=_device())


def ones(shape, dtype=None):
    return torch.ones(_shape_tuple(shape), dtype=to_torch_dtype(dtype) or _floatx(), device=_device())


def zeros_like(x, dtype=None):
    return torch.zeros_like(_tensor(x), dtype=to_torch_dtype(dtype))


def ones_like(x, dtype=None):
    return torch.ones_like(_tensor(x), dtype=to_torch_dtype(dtype))


def full(shape, fill_value, dtype=None):
    fill = _tensor(fill_value, to_torch_dtype(dtype) or _floatx())
    return torch.full(_shape_tuple(shape), 0, dtype=fill.dtype, device=fill.device).copy_(fill)


def arange(start, stop=None, step=1, dtype=None):
    dtype = to_torch_dtype(dtype)
    if dtype is None and builtins.any(isinstance(v, float) for v in (start, stop, step)):
        dtype = _floatx()
    if stop is None:
        start, stop = 0, start
    return torch.arange(start, stop, step, dtype=dtype, device=_device())


def stop_gradient(x):
    return _tensor(x).detach()


# -- elementwise ---------------------------------------------------------------------------------
def add(x, y):
    x, y = _operands(x, y, scalars=True)
    return x + y


def subtract(x, y):
    x, y = _operands(x, y, scalars=True)
    return x - y


def multiply(x, y):
    x, y = _operands(x, y, scalars=True)
    return x * y


def divide(x, y):
    """True division; integer operands divide in floatx."""
    x, y = _operands(x, y, scalars=True)
    if isinstance(x, torch.Tensor) and not (x.is_floating_point() or isinstance(y, float) or _is_float(y)):
        x = x.to(_floatx())
    elif isinstance(y, torch.Tensor) and not (y.is_floating_point() or isinstance(x, float) or _is_float(x)):
        y = y.to(_floatx())
    return x / y


def _is_float(t) -> bool:
    return isinstance(t, torch.Tensor) and t.is_floating_point()


def divide_no_nan(x, y):
    """x / y where y != 0, else 0; the gradient stays finite where y == 0."""
    x, y = _operands(x, y)
    if (y.ndim == 0 and y.device.type == "cpu" and not y.requires_grad and not torch.compiler.is_compiling()
            and y.item() != 0):
        return divide(x, y)  # a nonzero constant divisor (a count, a batch size): no `where` in the graph
    zero = y == 0
    return torch.where(zero, 0, divide(x, torch.where(zero, 1, y)))


def power(x, y):
    x, y = _operands(x, y, scalars=True)
    return x**y


def _float_input(x):
    x = _tensor(x)
    return x if x.is_floating_point() or x.is_complex() else x.to(_floatx())


# one-argument ops: the framework's function of the converted operand; where the value is a float, of the
# operand in floatx if it is an integer
globals().update(unary_ops(_tensor, {
    "negative": torch.negative, "square": torch.square, "abs": torch.abs, "sign": torch.sign,
    "logical_not": torch.logical_not, "isnan": torch.isnan, "relu": torch.relu,
}))
globals().update(unary_ops(_float_input, {
    "sqrt": torch.sqrt, "exp": torch.exp, "log": torch.log, "log1p": torch.log1p, "floor": torch.floor,
    "ceil": torch.ceil, "cos": torch.cos, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "log_sigmoid": F.logsigmoid, "expm1": torch.expm1, "erf": torch.erf,
}))


def maximum(x, y):
    x, y = _operands(x, y)
    return torch.maximum(*_same_dtype([x, y]))


def minimum(x, y):
    x, y = _operands(x, y)
    return torch.minimum(*_same_dtype([x, y]))


def clip(x, x_min, x_max):
    x = _tensor(x)
    return torch.clamp(x, _bound(x_min, x), _bound(x_max, x))


def _bound(b, x):
    if isinstance(b, (Variable, np.ndarray)):
        b = _tensor(b)
    if isinstance(b, torch.Tensor):
        return b.to(device=x.device, dtype=x.dtype)
    return b


def where(condition, x, y):
    condition = _tensor(condition)
    x, y = _operands(x, y)
    return torch.where(condition.to(torch.bool), *_same_dtype([x, y]))


def _of_operands(fn):
    def op(x, y):
        x, y = _operands(x, y)
        return fn(x, y)

    return op


globals().update(ops_of(_of_operands, {
    "equal": torch.eq, "not_equal": torch.ne, "greater": torch.gt, "greater_equal": torch.ge, "less": torch.lt,
    "less_equal": torch.le, "logical_and": torch.logical_and, "logical_or": torch.logical_or,
}))


# -- reductions and linear algebra -----------------------------------------------------------------
def _dims(x, axis):
    """keras axis -> torch dims; None means every axis."""
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, int):
        return (axis,)
    return tuple(axis)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = _tensor(x)
    dims = _dims(x, axis)
    if not dims:
        return x.to(torch.int64) if x.dtype == torch.bool else x
    return torch.sum(x, dim=dims, keepdim=keepdims)


def _all_of_size_one(x, dims) -> bool:
    shape = x.shape
    for d in dims:
        if shape[d] != 1:
            return False
    return True


def mean(x, axis=None, keepdims=False):
    x = _float_input(x)
    dims = _dims(x, axis)
    if not dims:
        return x
    if not keepdims and _all_of_size_one(x, dims):
        # The mean of one value is that value (sum / 1, exactly): a view, one op and one autograd node fewer
        # (a per-sample loss over a single output unit, `mean(..., axis=-1)` of shape (n, 1)).
        return torch.squeeze(x, dim=dims)
    return torch.mean(x, dim=dims, keepdim=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    x = _tensor(x)
    dims = _dims(x, axis)
    return torch.amax(x, dim=dims, keepdim=keepdims) if dims else x


def min(x, axis=None, keepdims=False):  # noqa: A001
    x = _tensor(x)
    dims = _dims(x, axis)
    return torch.amin(x, dim=dims, keepdim=keepdims) if dims else x


def prod(x, axis=None, keepdims=False):
    x = _tensor(x)
    for d in sorted((d % x.ndim for d in _dims(x, axis)), reverse=True):
        x = torch.prod(x, dim=d, keepdim=keepdims)
    return x


def argmax(x, axis=-1):
    x = _tensor(x)
    if axis is None:
        return torch.argmax(x)
    return torch.argmax(x, dim=axis)


def matmul(x, y):
    x, y = _operands(x, y)
    if x.dtype != y.dtype:
        x, y = _same_dtype([x, y])
    return torch.matmul(x, y)


def einsum(subscripts, *operands):
    return torch.einsum(subscripts, *_same_dtype([_tensor(x) for x in operands]))


def one_hot(x, num_classes, axis=-1, dtype=None):
    """Entries outside [0, num_classes) give a row of zeros, as in keras."""
    indices = _tensor(x).to(torch.int64)
    classes = torch.arange(num_classes, device=indices.device)
    out = (indices.unsqueeze(-1) == classes).to(to_torch_dtype(dtype) or _floatx())
    return out if axis == -1 else torch.movedim(out, -1, axis)


def take_along_axis(x, indices, axis):
    x = _tensor(x)
    indices = _tensor(indices).to(device=x.device, dtype=torch.int64)
    if indices.ndim == x.ndim and _same_shape_but(indices.shape, x.shape, axis % x.ndim):
        return torch.gather(x, axis, indices)  # what take_along_dim does after broadcasting: one op, one node
    return torch.take_along_dim(x, indices, dim=axis)


def _same_shape_but(a, b, axis: int) -> bool:
    for d, (m, n) in enumerate(zip(a, b)):
        if m != n and d != axis:
            return False
    return True


def take(x, indices, axis=None):
    x = _tensor(x)
    indices = _tensor(indices).to(device=x.device, dtype=torch.int64)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = axis % x.ndim
    size = x.shape[axis]
    indices = torch.where(indices < 0, indices + size, indices)
    flat = torch.index_select(x, axis, indices.reshape(-1))
    return flat.reshape((*x.shape[:axis], *indices.shape, *x.shape[axis + 1 :]))


def logsumexp(x, axis=None, keepdims=False):
    x = _float_input(x)
    return torch.logsumexp(x, dim=_dims(x, axis), keepdim=keepdims)


# -- activations -------------------------------------------------------------------------------------
def leaky_relu(x, negative_slope=0.2):
    """x if x >= 0 else negative_slope * x (gradient 1 at 0, as the reference backend)."""
    x = _tensor(x)
    return torch.where(x >= 0, x, x * negative_slope)


def softmax(x, axis=-1):
    return torch.softmax(_float_input(x), dim=axis)


def log_softmax(x, axis=-1):
    return torch.log_softmax(_float_input(x), dim=axis)


from fitspec.scan_loop import scan_by_loop as _scan_by_loop  # noqa: E402
from fitspec_torch.nn_ops import average_pool, conv, conv_transpose, embedding_lookup, max_pool  # noqa: E402, F401


def scan(f, init, xs):
    """jax.lax.scan's contract by a Python loop (fitspec.scan_loop): torch has no compiled loop."""
    return _scan_by_loop(stack, f, init, xs)


__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "annotations", "builtins", "np", "torch", "F", "Variable", "DTYPES", "DTYPE_NAMES", "Floatx", "ops_of", "unary_ops",
}]

"""`fs.utils.is_keras_tensor`, `get_source_inputs` and `standardize_dtype`, with Keras 3's rules (docs/SPEC.md 12.8)."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.layers.symbolic import SymbolicTensor

#: Keras 3's dtype names (`keras.src.backend.common.dtypes.ALLOWED_DTYPES`)
DTYPE_NAMES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
               "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic tensor (an `Input` or a layer's output on one)."""
    return isinstance(x, SymbolicTensor)


def get_source_inputs(tensor):
    """The `Input` tensors `tensor` was computed from, each once, in the order a depth-first walk of its layer
    calls meets them; an `Input` gives [itself]; anything that is not a symbolic tensor is returned as it is."""
    if not isinstance(tensor, SymbolicTensor):
        return tensor
    if tensor.node is None:
        return [tensor]
    sources: list = []
    for source in (s for t in tensor.node.inputs for s in get_source_inputs(t)):
        if all(source is not seen for seen in sources):
            sources.append(source)
    return sources


def dtype_standardizer(backend):
    """`standardize_dtype` for `backend`: None is its floatx; Python `int` and `complex` follow Keras's mapping
    for that backend (int64 / complex128 on TensorFlow, int32 / complex64 elsewhere)."""
    wide = backend.name == "tensorflow"
    python_types = {bool: "bool", int: "int64" if wide else "int32", float: "float32", str: "string",
                    complex: "complex128" if wide else "complex64"}

    def standardize_dtype(dtype):
        """The Keras name of `dtype` (a string, a Python type, or a numpy / jax / tensorflow / torch dtype)."""
        if dtype is None:
            return backend.floatx()
        if isinstance(dtype, type) and dtype in python_types:
            name = python_types[dtype]
        elif isinstance(dtype, str):
            name = python_types[int] if dtype == "int" else dtype
        elif isinstance(getattr(dtype, "name", None), str):  # numpy and tensorflow dtypes
            name = dtype.name
        elif hasattr(dtype, "__name__"):  # numpy and jax.numpy scalar types
            name = dtype.__name__
        else:  # torch.float32 and the like
            name = str(dtype).split(".")[-1]
        if name not in DTYPE_NAMES:
            raise invalid_argument("utils.standardize_dtype", "dtype", f"one of {DTYPE_NAMES}", dtype)
        return name

    return standardize_dtype

"""Layers that compute on the host in numpy (docs/SPEC.md 8d.L): the lookup, hashing and text layers.

As Keras's TFDataLayer on its non-TensorFlow backends, such a layer reads its inputs on the host (numpy arrays,
lists, strings, any framework's eager tensors), computes there, and returns numbers as the backend's tensors and
strings as numpy arrays of `str`. A traced tensor (inside jax.jit or tf.function) cannot be read on the host: it
is refused, naming the way out (`compile(run_eagerly=True)`, or the layer applied in the data pipeline).
"""

from __future__ import annotations

import numpy as np
import optree

from fitspec import foreign_arrays
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import SymbolicTensor, is_symbolic

INTEGER_DTYPES = ("int32", "int64")


def check_choice(where: str, argument: str, value, choices, allow_callable=False):
    """`value` if it is one of `choices` (or a callable where allowed), else the error naming them."""
    if value in choices or (allow_callable and callable(value)):
        return value
    expected = f"one of {choices}" + (" or a callable" if allow_callable else "")
    raise invalid_argument(where, argument, expected, value)


def check_count(where: str, argument: str, value, minimum: int, allow_none=False):
    """`value` if it is an int >= minimum (or None where allowed), else the error."""
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise invalid_argument(where, argument, f"an int >= {minimum}" + (" or None" if allow_none else ""), value)
    return int(value)


def refuse_sparse(where: str, sparse):
    if sparse:
        raise invalid_argument(where, "sparse", "False (fitspec has no sparse tensors)", sparse)


def as_text(array: np.ndarray, encoding: str = "utf-8") -> np.ndarray:
    """A numpy array of strings (str, bytes or objects holding them) as an array of `str`."""
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding)
    flat = [value.decode(encoding) if isinstance(value, bytes) else value for value in array.reshape(-1)]
    if not all(isinstance(value, str) for value in flat):
        raise TypeError("not strings")
    return np.array(flat, dtype=str).reshape(array.shape)


def is_text(array: np.ndarray) -> bool:
    return array.dtype.kind in "USO"


def text_or_numbers(where: str, array: np.ndarray, encoding: str = "utf-8") -> np.ndarray:
    """Strings as `str`, integers and floats as they are; anything else (bools, mixed objects) refused."""
    if array.dtype.kind in "iuf":
        return array
    if is_text(array):
        try:
            return as_text(array, encoding)
        except (TypeError, UnicodeDecodeError):
            pass
    raise invalid_argument(where, "inputs", "strings, integers or floats", f"<array of dtype {array.dtype}>")


class HostLayer(Layer):
    """A layer computed on the host: `call` receives numpy arrays and returns numpy arrays (see the module
    docstring); called on symbolic tensors it runs once on zeros, as every layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def __call__(self, *args, **kwargs):
        if is_symbolic((args, kwargs)):
            text = [t for t in optree.tree_leaves((args, kwargs)) if isinstance(t, SymbolicTensor)
                    and t.dtype in ("string", "str", "bytes", "object")]
            if text:
                raise invalid_argument(self.name, "inputs", "numeric symbolic inputs: a model's inputs are numbers "
                                       "(docs/SPEC.md 9.2), so strings go through this layer in the data pipeline, "
                                       "before the model (8d.L)", text[0])
            return super().__call__(*args, **kwargs)
        kwargs.pop("training", None)
        return self._to_backend(self.call(*args, **kwargs))

    def host_array(self, value) -> np.ndarray:
        """`value` read on the host; a traced tensor is refused (see the module docstring)."""
        if isinstance(value, np.ndarray):
            return value
        if isinstance(value, (list, tuple, str, bytes, int, float, np.generic)):
            return np.asarray(value)
        if foreign_arrays.is_foreign(value, self.backend.name):
            return foreign_arrays.to_numpy(value)
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            try:
                return np.asarray(self.ops.convert_to_numpy(value))
            except Exception as error:  # a tracer or a symbolic graph tensor: whatever the framework raises
                raise invalid_argument(
                    self.name, "inputs", "values that can be read on the host: this layer computes in numpy before "
                    "the batch reaches the device, so inside a compiled step it needs compile(run_eagerly=True); "
                    "or apply it in the data pipeline (docs/SPEC.md 8d.L)", f"<traced {type(value).__name__}>"
                ) from error
        return np.asarray(value)

    def _to_backend(self, outputs):
        """Numbers as the backend's tensors; strings stay numpy arrays of str."""
        if isinstance(outputs, np.ndarray) and not is_text(outputs):
            return self.ops.convert_to_tensor(outputs)
        return outputs


def adapt_inputs(where: str, data, steps=None):
    """`adapt`'s data as (batch, whether it is all of the data in one array) pairs: an array, list or tensor is one
    such pair; a PyDataset or an iterable of batches gives its first `steps` batches (a batch `(x, ...)` its x)."""
    from fitspec.py_dataset import PyDataset

    check_count(where, "steps", steps, 1, allow_none=True)
    if isinstance(data, (np.ndarray, list, tuple)) or (hasattr(data, "shape") and hasattr(data, "dtype")):
        yield data, True
    elif isinstance(data, PyDataset) or (hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict))):
        batches = (data[i] for i in range(len(data))) if isinstance(data, PyDataset) else iter(data)
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            yield (batch[0] if isinstance(batch, tuple) else batch), False
    else:
        raise invalid_argument(where, "data", "an array, a list, a tensor, a PyDataset or an iterable of batches",
                               data)


def encode_on_host(indices: np.ndarray, output_mode: str, depth: int, dtype: str, where: str) -> np.ndarray:
    """Keras's categorical encoding of integer `indices` in numpy: "int" casts; "one_hot" (a trailing axis of 1
    squeezed first) appends an axis of `depth`; "multi_hot" / "count" mark / count each index along the last axis
    (a vector is one sample). Indices outside [0, depth) encode as zeros."""
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == np.arange(depth)).astype(dtype)
    if indices.ndim > 2:
        raise invalid_argument(where, "inputs", f"a rank of at most 2 for output_mode={output_mode!r}",
                               f"<shape {indices.shape}>")
    counts = (indices[..., None] == np.arange(depth)).sum(axis=-2)
    return (np.minimum(counts, 1) if output_mode == "multi_hot" else counts).astype(dtype)

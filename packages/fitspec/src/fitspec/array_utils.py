"""`fs.utils`' array helpers with Keras 3's meaning: `to_categorical`, `normalize`, `pad_sequences`.

Host data (numpy arrays, lists, scalars) get Keras's numpy results on every backend, the numpy
backend included; a backend tensor gets a tensor computed with `fs.ops`. Where Keras would index,
truncate or pad silently with a value it cannot hold, these raise (docs/SPEC.md 12.1).
"""

from __future__ import annotations

import numbers

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz


def is_host_data(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, list, tuple, numbers.Number))


def _class_indices(values: np.ndarray, where: str) -> np.ndarray:
    """Integer class ids as int64; non-integral values are refused, not truncated."""
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    if values.dtype.kind != "f" or not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise invalid_argument(where, "x", "integer class ids", f"<{values.dtype} values such as "
                               f"{values.reshape(-1)[:3].tolist()}>")
    return values.astype(np.int64)


def _squeezed_class_shape(shape: tuple) -> tuple:
    """Keras's rule: a trailing axis of 1 on labels of rank >= 2 is dropped before the class axis is added."""
    return tuple(shape[:-1]) if len(shape) > 1 and shape[-1] == 1 else tuple(shape)


def to_categorical(ops, x, num_classes=None):
    """One-hot rows of the class ids `x`, the class axis last: float64 numpy for host data, a floatx tensor
    (`ops.one_hot`) for a backend tensor. A class id outside [0, num_classes) is an error."""
    where = "utils.to_categorical"
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
                                    or num_classes < 1):
        raise invalid_argument(where, "num_classes", "a positive int or None", num_classes)
    if not is_host_data(x):
        if num_classes is None:
            raise invalid_argument(where, "num_classes", "a positive int when x is a tensor", None)
        x = ops.reshape(x, _squeezed_class_shape(ops.shape(x)))
        return ops.one_hot(x, int(num_classes))
    values = _class_indices(np.asarray(x), where)
    shape = _squeezed_class_shape(values.shape)
    flat = values.reshape(-1)
    if num_classes is None:
        if flat.size == 0:
            raise invalid_argument(where, "num_classes", "a positive int when x is empty", None)
        num_classes = int(flat.max()) + 1
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise invalid_argument(where, "x", f"class ids in [0, {num_classes})",
                               f"<ids from {int(flat.min())} to {int(flat.max())}>")
    categorical = np.zeros((flat.size, int(num_classes)))
    categorical[np.arange(flat.size), flat] = 1
    return categorical.reshape((*shape, int(num_classes)))


def normalize(ops, x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (Keras 3): numpy in, numpy out (a zero norm divides by 1);
    a tensor is scaled by `min(1/sqrt(Σx²), 1/ε)` for the L2 norm, divided by `max(norm, ε)` otherwise."""
    where = "utils.normalize"
    if not (order in (1, 2) or order == np.inf):
        raise invalid_argument(where, "order", "1, 2 or numpy.inf", order)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise invalid_argument(where, "axis", "an int", axis)
    if is_host_data(x):
        x = np.asarray(x)
        norm = np.linalg.norm(x, order, axis, keepdims=True)  # along `axis` (Keras's numpy path expands axis 0
        norm[norm == 0] = 1                                     # at -1: docs/SPEC.md deviations)
        return x / norm
    if order == 2:
        inverse = 1.0 / ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
        return ops.multiply(x, ops.minimum(inverse, 1.0 / fuzz(ops)))
    magnitude = ops.abs(x)
    norm = (ops.sum(magnitude, axis=axis, keepdims=True) if order == 1
            else ops.max(magnitude, axis=axis, keepdims=True))
    return ops.divide(x, ops.maximum(norm, fuzz(ops)))


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Sequences of different lengths as one `(len(sequences), maxlen, *sample_shape)` numpy array (Keras 3):
    longer ones cut at the `truncating` end, shorter ones filled with `value` at the `padding` end."""
    where = "utils.pad_sequences"
    for argument, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise invalid_argument(where, argument, "'pre' or 'post'", choice)
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise invalid_argument(where, "sequences", "a list of sequences", sequences)
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 1):
        raise invalid_argument(where, "maxlen", "a positive int or None", maxlen)
    arrays = []
    for index, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__") or isinstance(sequence, (str, bytes)):
            raise invalid_argument(where, f"sequences[{index}]", "a sequence (list or array)", sequence)
        arrays.append(np.asarray(sequence) if len(sequence) else None)
    sample_shape = next((a.shape[1:] for a in arrays if a is not None), ())
    if maxlen is None:
        maxlen = max((len(a) for a in arrays if a is not None), default=0)
    dtype = np.dtype(dtype)
    if isinstance(value, str) and dtype.kind not in "OUS":
        raise invalid_argument(where, "value", f"a number for dtype {dtype} (dtype=object pads with strings)", value)
    out = np.full((len(arrays), maxlen, *sample_shape), value, dtype=dtype)
    for index, array in enumerate(arrays):
        if array is None:
            continue
        if array.shape[1:] != sample_shape:
            raise invalid_argument(where, f"sequences[{index}]", f"elements of shape {sample_shape}, as the first",
                                   f"<elements of shape {array.shape[1:]}>")
        if dtype.kind in "iu" and array.dtype.kind == "f" and np.any(array != np.round(array)):
            raise invalid_argument(where, "dtype", f"a float dtype for sequences with fractions (sequences[{index}])",
                                   str(dtype))
        kept = array[-maxlen:] if truncating == "pre" else array[:maxlen]
        if padding == "post":
            out[index, : len(kept)] = kept
        else:
            out[index, maxlen - len(kept):] = kept
    return out

"""Array data: validation of its values, the train/validation split, and the sample order of each epoch.

Shuffling draws a permutation from numpy's generator seeded by (seed, epoch), so every backend
sees the same batches in the same order. `validation_split` takes the last fraction of the
samples, before any shuffling. Batching lives in fitspec.data_adapters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import optree

from fitspec import foreign_arrays
from fitspec.errors import invalid_argument, invalid_type

DEFAULT_BATCH_SIZE = 32


def unpack_x_y_sample_weight(data):
    """`x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` -> (x, y, sample_weight)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise invalid_argument(
        "unpack_x_y_sample_weight", "data", "x, (x,), (x, y) or (x, y, sample_weight)", f"<a tuple of {len(data)}>"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _leaves(structure) -> list:
    return optree.tree_leaves(structure, none_is_leaf=False)


#: numpy dtype kinds that data may hold: bool, signed and unsigned ints, floats
REAL_KINDS = "biuf"
_KIND_NAMES = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects", "M": "datetimes",
               "m": "timedeltas", "V": "records"}


def leaf_name(argument: str, path) -> str:
    """`x`, `x['image']`, `y[0]`: how an error names one array of a structure."""
    return argument + "".join(f"[{key!r}]" for key in path)


def _all_finite(array: np.ndarray) -> bool:
    """A sum of squares (BLAS's dot: one pass, no temporary, the fastest way through memory) or a sum is finite
    unless an entry is NaN or inf, or it overflows: then every entry is looked at."""
    with np.errstate(over="ignore", invalid="ignore"):
        if array.flags.c_contiguous and array.dtype in (np.float32, np.float64):
            flat = array.reshape(-1)
            total = np.dot(flat, flat)
        else:
            total = np.sum(array)
        if np.isfinite(total):
            return True
    return bool(np.isfinite(array).all())


def check_values(array: np.ndarray, name: str, where: str, weights: bool = False) -> None:
    """Real numbers (bool, int, float), floats finite; sample weights also non-negative."""
    kind = array.dtype.kind
    if kind not in REAL_KINDS:
        received = f"<an array of {_KIND_NAMES.get(kind, array.dtype.name)} ({array.dtype})>"
        raise invalid_argument(where, name, "arrays of real numbers (bool, int or float)", received)
    if kind == "f" and not _all_finite(array):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise invalid_argument(where, name, "finite numbers (no NaN or inf)", f"<{array[index]} at index {index}>")
    if weights and array.size and array.min() < 0:
        index = tuple(int(i) for i in np.argwhere(array < 0)[0])
        raise invalid_argument(where, name, "non-negative sample weights", f"<{array[index]} at index {index}>")


def to_arrays(structure, argument: str, where: str):
    """Nested dicts / lists / tuples of array-likes (any framework's tensors included) -> the same structure of
    numpy arrays, each checked by `check_values`."""

    def convert(path, leaf):
        name = leaf_name(argument, path)
        array = foreign_arrays.to_numpy(leaf)
        if array.dtype == object:
            raise invalid_type(where, name, "numeric arrays (or nested dicts/lists of them)", leaf)
        if array.ndim == 0:
            raise invalid_argument(where, name, "arrays with a leading sample axis", leaf)
        check_values(array, name, where, weights=argument == "sample_weight")
        return array

    if type(structure) is np.ndarray:  # the common case, without a structure walk
        return convert((), structure)
    if isinstance(structure, Mapping) and not isinstance(structure, dict):
        structure = dict(structure)
    return optree.tree_map_with_path(convert, structure)


def num_samples(structure) -> int:
    return len(_leaves(structure)[0])


class ArrayDataset:
    """x, y, sample_weight as numpy structures sharing their first axis."""

    def __init__(self, x, y=None, sample_weight=None, where="fit"):
        if x is None:
            raise invalid_argument(where, "x", "input data (an array or nested arrays)", None)
        self.x = to_arrays(x, "x", where)
        self.y = None if y is None else to_arrays(y, "y", where)
        self.sample_weight = None if sample_weight is None else to_arrays(sample_weight, "sample_weight", where)
        n = num_samples(self.x)
        for name, structure in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)):
            if structure is None:
                continue
            for leaf in _leaves(structure):
                if len(leaf) != n:
                    expected = f"{n} samples, as many as x" if name != "x" else f"all arrays with {n} samples"
                    raise invalid_argument(where, name, expected, f"<an array with {len(leaf)} samples>")
        if self.sample_weight is not None and self.y is None:
            raise invalid_argument(where, "sample_weight", "to be passed with targets `y`", "<no y>")
        self.size = n

    def take(self, indices) -> ArrayDataset:
        out = object.__new__(ArrayDataset)
        out.x, out.y, out.sample_weight = (_select(s, indices) for s in (self.x, self.y, self.sample_weight))
        out.size = len(indices)
        return out

    def sample_bytes(self) -> int:
        """The bytes of one sample, over x, y and sample_weight."""
        leaves = [leaf for s in (self.x, self.y, self.sample_weight) if s is not None for leaf in _leaves(s)]
        return sum(leaf.itemsize * math.prod(leaf.shape[1:]) for leaf in leaves)

    def batch(self, indices) -> tuple:
        """The samples at `indices` (an index array, or a slice for unshuffled batches) as (x, y, sample_weight)."""
        return pack_x_y_sample_weight(_select(self.x, indices), _select(self.y, indices),
                                      _select(self.sample_weight, indices))

    def split(self, validation_split: float) -> tuple[ArrayDataset, ArrayDataset]:
        """(train, validation): the validation part is the last `validation_split` of the samples."""
        if not 0.0 < validation_split < 1.0:
            raise invalid_argument("fit", "validation_split", "a float in (0, 1)", validation_split)
        first_val = int(math.floor(self.size * (1.0 - validation_split)))
        if first_val == 0 or first_val == self.size:
            raise invalid_argument(
                "fit", "validation_split", f"a fraction leaving samples on both sides of {self.size} samples",
                validation_split,
            )
        return self.take(np.arange(first_val)), self.take(np.arange(first_val, self.size))


def _select(structure, indices):
    """The samples at `indices` of every array in `structure` (a bare array, the common case, without optree)."""
    if structure is None:
        return None
    if type(structure) is np.ndarray:
        return structure[indices]
    return optree.tree_map(lambda a: a[indices], structure)


def epoch_permutation(size: int, seed: int, epoch: int) -> np.ndarray:
    """The sample order of `epoch`: numpy's PCG64 seeded with (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(size)

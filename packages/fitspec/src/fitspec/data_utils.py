"""`fs.utils.split_dataset` and `fs.utils.timeseries_dataset_from_array` with Keras 3's arithmetic, on host arrays.

Keras returns `tf.data.Dataset`s; fitspec has no tf.data on numpy, JAX or torch, so on every backend
`split_dataset` returns the input's own structure (an array, a tuple of arrays, a dict of arrays) split in
two, and `timeseries_dataset_from_array` a `PyDataset` of its batches, which fit(), evaluate() and predict()
accept and a `for` loop walks (docs/SPEC.md 12.6, 12.7).
"""

from __future__ import annotations

import numbers
import random

import numpy as np

from fitspec import seeding
from fitspec.errors import invalid_argument
from fitspec.py_dataset import PyDataset


# -- split_dataset ---------------------------------------------------------------------------------------------
def _columns(where: str, dataset) -> tuple[list, int]:
    """The dataset's arrays in order (one for an array) and their common length."""
    if isinstance(dataset, dict):
        arrays = list(dataset.values())
    elif isinstance(dataset, (list, tuple)):
        arrays = list(dataset)
    elif isinstance(dataset, np.ndarray):
        arrays = [dataset]
    else:
        raise invalid_argument(where, "dataset", "an array, or a list, tuple or dict of arrays", dataset)
    if not arrays:
        raise invalid_argument(where, "dataset", "at least one array", dataset)
    arrays = [np.asarray(a) for a in arrays]
    if any(a.ndim == 0 for a in arrays):
        raise invalid_argument(where, "dataset", "arrays with a sample axis", "<a scalar among the arrays>")
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise invalid_argument(where, "dataset", "arrays of one length", f"<arrays of lengths {sorted(lengths)}>")
    return arrays, lengths.pop()


def _size(where: str, argument: str, value, total: int):
    """An int in (0, total) or a float in (0, 1), as Keras checks it; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float)):
        raise invalid_argument(where, argument, "an int, a float or None", value)
    if isinstance(value, numbers.Integral) and not 0 < value < total:
        raise invalid_argument(where, argument, f"an int in (0, {total}) or a float in (0, 1)", value)
    if isinstance(value, float) and not 0 < value < 1:
        raise invalid_argument(where, argument, f"an int in (0, {total}) or a float in (0, 1)", value)
    return value


def split_sizes(left_size, right_size, total: int, where: str = "utils.split_dataset") -> tuple[int, int]:
    """(left, right) sample counts, Keras's rule: a fraction f is `round(f * total)` (half to even), a missing side
    is the rest; both sides non-empty and together at most `total`."""
    if left_size is None and right_size is None:
        raise invalid_argument(where, "left_size", "a size when right_size is None", None)
    left, right = _size(where, "left_size", left_size, total), _size(where, "right_size", right_size, total)
    if isinstance(left, float) and isinstance(right, float) and left + right > 1:
        raise invalid_argument(where, "right_size", f"at most 1 - left_size = {1 - left}", right)
    left = round(left * total) if isinstance(left, float) else left
    right = round(right * total) if isinstance(right, float) else right
    left = total - right if left is None else int(left)
    right = total - left if right is None else int(right)
    if left + right > total:
        raise invalid_argument(where, "right_size", f"at most {total - left} (left_size + right_size <= {total})",
                               right_size)
    for argument, count in (("left_size", left), ("right_size", right)):
        if count == 0:
            raise invalid_argument(where, argument, f"a size that leaves samples on both sides of {total}",
                                   left_size if argument == "left_size" else right_size)
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """(left, right): the first `left` samples and the last `right` ones (after a shuffle with `seed` when asked),
    in the input's structure (a list becomes a tuple, as Keras's). Samples between them belong to neither."""
    where = "utils.split_dataset"
    arrays, total = _columns(where, dataset)
    left, right = split_sizes(left_size, right_size, total, where)
    order = np.arange(total)
    if shuffle:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise invalid_argument(where, "seed", "an int or None", seed)
        permutation = list(range(total))
        # Keras shuffles the list of samples with Python's `random` seeded by `seed`: the same permutation
        random.Random(seeding.next_seed() if seed is None else int(seed)).shuffle(permutation)
        order = np.asarray(permutation)
    halves = ([a[order[:left]] for a in arrays], [a[order[total - right:]] for a in arrays])
    if isinstance(dataset, dict):
        return tuple(dict(zip(dataset.keys(), half)) for half in halves)
    if isinstance(dataset, (list, tuple)):
        return tuple(tuple(half) for half in halves)
    return halves[0][0], halves[1][0]


# -- timeseries_dataset_from_array ---------------------------------------------------------------------------------
def _positive_int(where: str, argument: str, value, below: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0 or (
            below is not None and value >= below):
        expected = "a positive int" + (f" below {below} (the length of data)" if below is not None else "")
        raise invalid_argument(where, argument, expected, value)
    return int(value)


class TimeseriesDataset(PyDataset):
    """The batches of windows of `data` (and the target at each window's start), as Keras's timeseries dataset."""

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        super().__init__()
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.starts)
        return -(-len(self.starts) // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"TimeseriesDataset: batch {index} of {len(self)}")
        if self.batch_size is None:  # one window, without a batch axis (Keras's unbatched dataset)
            start = self.starts[index]
            window = self.data[start + self.offsets]
            return window if self.targets is None else (window, self.targets[start])
        starts = self.starts[index * self.batch_size:(index + 1) * self.batch_size]
        windows = self.data[starts[:, None] + self.offsets]
        return windows if self.targets is None else (windows, self.targets[starts])


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Windows `data[s + k * sampling_rate]` (k < sequence_length) for the starts s = 0, stride, 2 stride, ... of
    `data[start_index:end_index]`, each with target `targets[start_index + s]`; batches of `batch_size` windows.

    `shuffle` permutes the starts with `numpy.random.RandomState(seed)` as Keras does (Keras then also shuffles
    within a tf.data buffer, which fitspec does not: docs/SPEC.md deviations)."""
    where = "utils.timeseries_dataset_from_array"
    data = np.asarray(data)
    if data.ndim == 0:
        raise invalid_argument(where, "data", "an array with a time axis", data)
    length = len(data)
    if targets is not None:
        targets = np.asarray(targets)
        if targets.ndim == 0:
            raise invalid_argument(where, "targets", "an array with a time axis, or None", targets)
    sequence_length = _positive_int(where, "sequence_length", sequence_length)
    sampling_rate = _positive_int(where, "sampling_rate", sampling_rate, length)
    sequence_stride = _positive_int(where, "sequence_stride", sequence_stride, length)
    if batch_size is not None:
        batch_size = _positive_int(where, "batch_size", batch_size)
    if start_index is not None and (isinstance(start_index, bool) or not isinstance(start_index, numbers.Integral)
                                    or not 0 <= start_index < length):
        raise invalid_argument(where, "start_index", f"an int in [0, {length}) or None", start_index)
    if end_index is not None and (isinstance(end_index, bool) or not isinstance(end_index, numbers.Integral)
                                  or not (start_index or 0) < end_index < length):
        raise invalid_argument(where, "end_index", f"an int in ({start_index or 0}, {length}) or None", end_index)
    start = 0 if start_index is None else int(start_index)
    end = length if end_index is None else int(end_index)
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets) - start)
    if count <= 0:
        raise invalid_argument(where, "sequence_length", f"a window that fits in the {end - start} steps given "
                               f"(with sampling_rate={sampling_rate})", sequence_length)
    starts = np.arange(0, count, sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise invalid_argument(where, "seed", "an int or None", seed)
        np.random.RandomState(seeding.next_seed() % 2**32 if seed is None else int(seed)).shuffle(starts)
    return TimeseriesDataset(data[start:end], None if targets is None else targets[start:end], starts,
                             sequence_length, sampling_rate, batch_size)

"""`torch.utils.data.DataLoader` and `Dataset` as fit / evaluate / predict data.

A DataLoader batches (and shuffles) itself: its batches are used as they come. A map-style
Dataset is batched here like arrays: batch_size defaults to 32 and, with shuffle, the order is
`fitspec.data.epoch_permutation(size, seed, epoch)`, so it sees the same batches as the same
data given as arrays. `TorchDataIterator` has the interface of `fitspec.data.EpochIterator`,
with `dataset` an ArrayDataset of the first batch (the core builds the model on it).
"""

from __future__ import annotations

import math

import numpy as np
import optree
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, default_collate

from fitspec.data import (
    DEFAULT_BATCH_SIZE,
    ArrayDataset,
    epoch_permutation,
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from fitspec.errors import invalid_argument

ARITY = "x, (x,), (x, y) or (x, y, sample_weight)"


def is_torch_data(x) -> bool:
    return isinstance(x, (DataLoader, Dataset))


def check_batch(batch, where: str, argument: str = "x"):
    """A batch must be x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(batch, (tuple, list)) and not 1 <= len(batch) <= 3:
        raise invalid_argument(where, argument, f"a DataLoader or Dataset yielding {ARITY}",
                               f"<a batch of {len(batch)} elements>")
    return batch


def to_numpy(structure):
    def convert(leaf):
        if isinstance(leaf, torch.Tensor):
            leaf = leaf.detach()
            return (leaf.float() if leaf.dtype == torch.bfloat16 else leaf).cpu().numpy()
        return np.asarray(leaf)

    return optree.tree_map(convert, structure)


class TorchDataIterator:
    """Batches of one epoch from a DataLoader or Dataset, grouped by `steps_per_execution`."""

    def __init__(self, data, *, batch_size=None, shuffle=False, seed=0, steps_per_epoch=None,
                 steps_per_execution=1, where="fit", argument="x"):
        self.data, self.where, self.argument = data, where, argument
        self.shuffle, self.seed, self.steps_per_execution = shuffle, seed, steps_per_execution
        if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, int)
                                            or steps_per_epoch <= 0):
            raise invalid_argument(where, "steps_per_epoch", "a positive int or None", steps_per_epoch)
        if isinstance(data, DataLoader):
            if batch_size is not None:
                raise invalid_argument(where, "batch_size", "None for a DataLoader (it batches its data itself)",
                                       batch_size)
            self.size = None
            try:
                self.batches_per_pass = len(data)
            except TypeError:  # an IterableDataset without __len__
                self.batches_per_pass = None
        elif isinstance(data, IterableDataset) or not hasattr(data, "__len__"):
            raise invalid_argument(where, argument, "a DataLoader, or a map-style Dataset with __len__", data)
        else:
            if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                           or batch_size <= 0):
                raise invalid_argument(where, "batch_size", "a positive int", batch_size)
            self.size = len(data)
            if self.size == 0:
                raise invalid_argument(where, argument, "at least one sample", "<an empty Dataset>")
            self.batch_size = batch_size or DEFAULT_BATCH_SIZE
            self.batches_per_pass = math.ceil(self.size / self.batch_size)
        self.steps = steps_per_epoch or self.batches_per_pass
        first = self._first_batch()
        if isinstance(data, DataLoader):
            self.batch_size = len(optree.tree_leaves(first)[0])
        self.first_batch = tuple(to_numpy(part) for part in pack_x_y_sample_weight(*unpack_x_y_sample_weight(first)))
        self.dataset = ArrayDataset(*self.first_batch, where=where)
        self._stream = None

    # -- batches ------------------------------------------------------------------------------------------
    def _first_batch(self):
        for batch in self._one_pass(0, shuffle=False):
            return batch
        raise invalid_argument(self.where, self.argument, "at least one batch", "<an empty DataLoader>")

    def _one_pass(self, epoch: int, shuffle: bool):
        if isinstance(self.data, DataLoader):
            for batch in self.data:
                yield check_batch(batch, self.where, self.argument)
            return
        order = epoch_permutation(self.size, self.seed, epoch) if shuffle else np.arange(self.size)
        for start in range(0, self.size, self.batch_size):
            yield check_batch(self._collate(order[start : start + self.batch_size]), self.where, self.argument)

    def _collate(self, indices: np.ndarray):
        if type(self.data) is TensorDataset:
            index = torch.from_numpy(indices)
            return [t[index.to(t.device)] for t in self.data.tensors]
        getitems = getattr(self.data, "__getitems__", None)
        samples = getitems(indices.tolist()) if getitems is not None else [self.data[int(i)] for i in indices]
        return default_collate(samples)

    def _passes(self, first_epoch: int):
        epoch = first_epoch
        while True:
            yield from self._one_pass(epoch, self.shuffle)
            epoch += 1

    def epoch(self, epoch: int):
        """(index of the group's last step, [batch, ...]) for each group of `steps_per_execution` batches."""
        if self.steps == self.batches_per_pass or self.steps is None:
            batches = self._one_pass(epoch, self.shuffle)
        else:  # steps_per_epoch differs from the data: continue where the last epoch stopped
            if self._stream is None:
                self._stream = self._passes(epoch)
            batches = self._stream
        group, step = [], -1
        while self.steps is None or step + 1 < self.steps:
            batch = next(batches, None)
            if batch is None:
                break
            step += 1
            group.append(batch)
            if len(group) == self.steps_per_execution:
                yield step, group
                group = []
        if group:
            yield step, group


def materialize_inputs(data, batch_size, where: str):
    """Every batch's x from a DataLoader or Dataset, concatenated (for predict) -> (x arrays, batch size)."""
    iterator = TorchDataIterator(data, batch_size=batch_size, where=where)
    parts = [to_numpy(unpack_x_y_sample_weight(b)[0]) for _, group in iterator.epoch(0) for b in group]
    return optree.tree_map(lambda *xs: np.concatenate(xs, axis=0), *parts), iterator.batch_size

"""Data adapters: every source of batches behind one interface, and the epoch iterator over them.

Sources: numpy arrays (nested dicts / lists / tuples), `fs.utils.PyDataset`, Python generators and
iterables, `tf.data.Dataset` and `torch.utils.data.DataLoader` / `Dataset`. The frameworks are never
imported here: an object is recognised by its type's module, and iterated through its own API.
Batches come out as (x,), (x, y) or (x, y, sample_weight); their leaves stay as the source made
them, and the backend converts them (`Backend.convert_batch`).
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import math
import warnings
from collections.abc import Iterator, Mapping

import numpy as np

from fitspec.data import DEFAULT_BATCH_SIZE, ArrayDataset, epoch_permutation
from fitspec.errors import invalid_argument
from fitspec.py_dataset import PyDataset


def _check_positive_int(value, argument, where, allow_none=False):
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise invalid_argument(where, argument, "a positive int" + (" or None" if allow_none else ""), value)


def standardize_batch(element, where: str):
    """A source's element -> (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(element, list):
        element = tuple(element)
    if not isinstance(element, tuple):
        return (element,)
    if not 1 <= len(element) <= 3:
        raise invalid_argument(
            where, "x", "batches of the form x, (x,), (x, y) or (x, y, sample_weight)",
            f"<a batch that is a tuple of {len(element)} elements>",
        )
    return element


#: about how many bytes of permuted samples a shuffled epoch gathers at once
GATHER_BYTES = 1 << 20


class ArrayAdapter:
    """Batches of arrays; shuffled by the permutation of (seed, pass)."""

    supports_split = True

    def __init__(self, dataset: ArrayDataset, batch_size, shuffle, seed):
        self.dataset, self.batch_size, self.shuffle, self.seed = dataset, batch_size, shuffle, seed
        self.num_batches = math.ceil(dataset.size / batch_size)

    def peek(self) -> tuple:
        return self.dataset.batch(np.arange(min(self.batch_size, self.dataset.size)))

    def batches(self, pass_index: int) -> Iterator[tuple]:
        size, batch_size = self.dataset.size, self.batch_size
        if not self.shuffle:  # slices: views of the arrays, no copy
            for start in range(0, size, batch_size):
                yield self.dataset.batch(slice(start, start + batch_size))
            return
        # the permuted samples are gathered a block of batches at a time (one copy per array and block, about
        # GATHER_BYTES), and each batch is a slice of its block: the same batches as a gather per batch, for less
        # per-step host time (docs/SPEC.md 3.2)
        order = epoch_permutation(size, self.seed, pass_index)
        batches_per_block = max(1, GATHER_BYTES // max(1, batch_size * self.dataset.sample_bytes()))
        rows = batches_per_block * batch_size
        for block_start in range(0, size, rows):
            block = self.dataset.take(order[block_start : block_start + rows])
            for start in range(0, block.size, batch_size):
                yield block.batch(slice(start, start + batch_size))

    def on_epoch_end(self):
        pass


class PyDatasetAdapter:
    """Batches by index; with shuffle, the order of the batches is the permutation of (seed, pass)."""

    supports_split = False

    def __init__(self, dataset: PyDataset, shuffle, seed, where):
        self.dataset, self.shuffle, self.seed, self.where = dataset, shuffle, seed, where
        self.num_batches = len(dataset)
        self._first = None

    def peek(self) -> tuple:
        """The first batch (read once: building and checking look at it several times)."""
        if self._first is None:
            if len(self.dataset) == 0:
                raise invalid_argument(self.where, "x", "a PyDataset with at least one batch", "<len() == 0>")
            self._first = standardize_batch(self.dataset[0], self.where)
        return self._first

    def batches(self, pass_index: int) -> Iterator[tuple]:
        n = len(self.dataset)
        order = epoch_permutation(n, self.seed, pass_index) if self.shuffle else np.arange(n)
        self.dataset.on_epoch_begin()
        workers = getattr(self.dataset, "workers", 1)
        if workers <= 1:
            for i in order:
                yield standardize_batch(self.dataset[int(i)], self.where)
            return
        pool_class = (concurrent.futures.ProcessPoolExecutor if self.dataset.use_multiprocessing
                      else concurrent.futures.ThreadPoolExecutor)
        with pool_class(max_workers=workers) as pool:
            pending = collections.deque()
            indices = iter(order)
            for i in itertools.islice(indices, self.dataset.max_queue_size):
                pending.append(pool.submit(self.dataset.__getitem__, int(i)))
            while pending:
                batch = pending.popleft().result()
                for i in itertools.islice(indices, 1):
                    pending.append(pool.submit(self.dataset.__getitem__, int(i)))
                yield standardize_batch(batch, self.where)

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


class IterableAdapter:
    """tf.data datasets, torch DataLoaders and other re-iterables (iterated anew each pass); generators."""

    supports_split = False

    def __init__(self, source, where, num_batches=None):
        self.source, self.where = source, where
        self.one_shot = iter(source) is source  # a generator or iterator: it cannot restart
        self.num_batches = num_batches
        self._first = None

    def peek(self) -> tuple:
        """The first batch (read once); a one-shot generator gets it pushed back."""
        if self._first is not None:
            return self._first
        try:
            if self.one_shot:
                first = next(self.source)
                self.source = itertools.chain([first], self.source)
            else:
                first = next(iter(self.source))
        except StopIteration:
            raise invalid_argument(self.where, "x", "at least one batch", "<an empty source>") from None
        self._first = standardize_batch(first, self.where)
        return self._first

    def batches(self, pass_index: int) -> Iterator[tuple]:
        if self.one_shot:
            iterator = self.source
        else:
            iterator = iter(self.source)
        for element in iterator:
            yield standardize_batch(element, self.where)

    def on_epoch_end(self):
        pass


def _derives_from(x, module_prefix: str) -> bool:
    """Whether any class of x's MRO comes from `module_prefix` (user subclasses of framework classes count)."""
    return any((cls.__module__ or "").startswith(module_prefix) for cls in type(x).__mro__)


def is_tf_dataset(x) -> bool:
    return _derives_from(x, "tensorflow") and hasattr(x, "as_numpy_iterator")


def is_torch_loader(x) -> bool:
    return _derives_from(x, "torch.utils.data") and hasattr(x, "__iter__") and hasattr(x, "dataset")


def is_torch_dataset(x) -> bool:
    """A map-style torch Dataset (indexable, with a length)."""
    return (_derives_from(x, "torch.utils.data") and not is_torch_loader(x) and hasattr(x, "__getitem__")
            and hasattr(x, "__len__"))


class TorchDatasetAdapter:
    """A map-style torch Dataset, batched in the order of the permutation of (seed, pass), as arrays are."""

    supports_split = False

    def __init__(self, dataset, batch_size, shuffle, seed, where):
        self.dataset, self.batch_size, self.shuffle, self.seed, self.where = dataset, batch_size, shuffle, seed, where
        self.num_batches = math.ceil(len(dataset) / batch_size)
        self._first = None

    def _loader(self, order):
        import torch.utils.data

        return torch.utils.data.DataLoader(self.dataset, batch_size=self.batch_size, sampler=order.tolist())

    def peek(self) -> tuple:
        if self._first is None:
            first = next(iter(self._loader(np.arange(min(self.batch_size, len(self.dataset))))))
            self._first = standardize_batch(first, self.where)
        return self._first

    def batches(self, pass_index: int) -> Iterator[tuple]:
        n = len(self.dataset)
        order = epoch_permutation(n, self.seed, pass_index) if self.shuffle else np.arange(n)
        for element in self._loader(order):
            yield standardize_batch(element, self.where)

    def on_epoch_end(self):
        pass


def get_adapter(x, y=None, sample_weight=None, *, batch_size=None, shuffle=False, seed=0, where="fit"):
    """The adapter for `x` (and, for arrays only, `y` and `sample_weight`)."""
    _check_positive_int(batch_size, "batch_size", where, allow_none=True)
    if isinstance(x, ArrayDataset):
        return ArrayAdapter(x, batch_size or DEFAULT_BATCH_SIZE, shuffle, seed)
    source_kind = None
    if isinstance(x, PyDataset):
        source_kind = "a PyDataset"
    elif is_tf_dataset(x):
        source_kind = "a tf.data.Dataset"
    elif is_torch_loader(x) or is_torch_dataset(x):
        source_kind = "a torch DataLoader or Dataset"
    elif hasattr(x, "__next__") and not isinstance(x, (np.ndarray, Mapping)):
        source_kind = "a generator"
    if source_kind is None:
        dataset = ArrayDataset(x, y, sample_weight, where=where)
        if dataset.size == 0:
            raise invalid_argument(where, "x", "at least one sample", "<0 samples>")
        return ArrayAdapter(dataset, batch_size or DEFAULT_BATCH_SIZE, shuffle, seed)
    for argument, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise invalid_argument(
                where, argument, f"None when x is {source_kind} (it yields the targets and weights itself)", value,
            )
    if is_torch_dataset(x):
        return TorchDatasetAdapter(x, batch_size or DEFAULT_BATCH_SIZE, shuffle, seed, where)
    if batch_size is not None:  # Keras 3 ignores it too; the guide passes batch_size=64 with a PyDataset
        warnings.warn(f"{where}: `batch_size={batch_size}` is ignored: x is {source_kind}, which yields whole "
                      "batches.", stacklevel=3)
    if isinstance(x, PyDataset):
        return PyDatasetAdapter(x, shuffle, seed, where)
    num_batches = None
    if is_tf_dataset(x):
        cardinality = int(x.cardinality())
        num_batches = cardinality if cardinality >= 0 else None
    elif is_torch_loader(x):
        try:
            num_batches = len(x)
        except TypeError:
            num_batches = None
    return IterableAdapter(x, where, num_batches)


class EpochIterator:
    """The batches of one epoch, grouped by `steps_per_execution`.

    Yields (index of the group's last step, [batch, ...]). Without `steps_per_epoch` an epoch is one
    pass over the source; with it, an epoch is that many batches, and passes continue across
    epochs (a finished pass starts the next one; a one-shot generator that runs out is an error).
    """

    def __init__(self, adapter, steps_per_epoch=None, steps_per_execution=1, where="fit"):
        _check_positive_int(steps_per_epoch, "steps_per_epoch", where, allow_none=True)
        self.adapter = adapter
        self.steps_per_epoch = steps_per_epoch
        self.steps_per_execution = steps_per_execution
        self.where = where
        self.steps = steps_per_epoch or adapter.num_batches
        self._passes = 0
        self._stream = None

    def _continuing_stream(self) -> Iterator[tuple]:
        while True:
            produced = False
            for batch in self.adapter.batches(self._passes):
                produced = True
                yield batch
            self._passes += 1
            if not produced or getattr(self.adapter, "one_shot", False):
                raise invalid_argument(
                    self.where, "x", f"data for {self.steps_per_epoch} steps per epoch (steps_per_epoch)",
                    "<a source that ran out of batches>",
                )

    def fast_forward(self, epochs_done: int, steps_done: int) -> None:
        """Resume after `epochs_done` epochs and `steps_done` batches (the batches are drawn, not trained)."""
        if self.steps_per_epoch is not None:
            self._stream = self._continuing_stream()
            for _ in itertools.islice(self._stream, epochs_done * self.steps_per_epoch):
                pass

    def epoch(self, epoch: int, skip: int = 0) -> Iterator[tuple[int, list]]:
        """The epoch's groups; the first `skip` batches are drawn but not yielded (a resumed epoch)."""
        if self.steps_per_epoch is None:
            batches = self.adapter.batches(epoch)
        else:
            if self._stream is None:
                self._stream = self._continuing_stream()
            batches = itertools.islice(self._stream, self.steps_per_epoch)
        group, step = [], -1
        for step, batch in enumerate(batches):
            if step < skip:
                continue
            group.append(batch)
            if len(group) == self.steps_per_execution:
                yield step, group
                group = []
        if group:
            yield step, group
        if step < 0:
            raise invalid_argument(self.where, "x", "at least one batch", "<an empty source>")
        if self.steps is None:
            self.steps = step + 1
        self.adapter.on_epoch_end()

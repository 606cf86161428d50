"""`fs.utils.PyDataset`: a dataset of batches by index, optionally loaded by worker threads or processes."""

from __future__ import annotations

from fitspec.errors import invalid_argument


class PyDataset:
    """Subclass and implement `__len__` (the number of batches) and `__getitem__(index)` (one batch).

    `workers` > 1 loads batches concurrently (threads, or processes with `use_multiprocessing`),
    at most `max_queue_size` ahead; the order of the batches never changes.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise invalid_argument(type(self).__name__, name, "a positive int", value)
        self.workers = workers
        self.use_multiprocessing = bool(use_multiprocessing)
        self.max_queue_size = max_queue_size

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ (the number of batches).")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) -> a batch.")

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch: reshuffle files, re-augment, ..."""

"""`LearningRateScheduler`: at each epoch's start, learning_rate = schedule(epoch, learning_rate)."""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from fitspec.callbacks.callback import Callback
from fitspec.errors import invalid_argument


class LearningRateScheduler(Callback):
    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise invalid_argument("LearningRateScheduler", "schedule", "a function (epoch, lr) -> lr", schedule)
        self.schedule, self.verbose = schedule, verbose
        self._takes_lr = len(inspect.signature(schedule).parameters) >= 2

    def _current(self) -> float:
        return float(np.asarray(self.model.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.schedule(epoch, self._current()) if self._takes_lr else self.schedule(epoch)
        if isinstance(lr, np.ndarray) and lr.ndim == 0:
            lr = float(lr)
        if not isinstance(lr, numbers.Real):
            raise invalid_argument("LearningRateScheduler", "schedule", "a function returning a float", lr)
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self._current()

"""`ReduceLROnPlateau`: multiply the learning rate by `factor` after `patience` epochs without improvement.

An improvement is current < best - min_delta (min) or current > best + min_delta (max). After a
reduction, `cooldown` epochs pass before waiting starts again; the rate never goes below `min_lr`.
The current rate is logged as `learning_rate`.
"""

from __future__ import annotations

import warnings

import numpy as np

from fitspec.callbacks.callback import Callback
from fitspec.callbacks.monitor import direction
from fitspec.errors import invalid_argument


class ReduceLROnPlateau(Callback):
    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__()
        if not 0.0 <= factor < 1.0:
            raise invalid_argument("ReduceLROnPlateau", "factor", "a float in [0, 1)", factor)
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.mode, self.min_delta, self.cooldown, self.min_lr = mode, min_delta, cooldown, min_lr
        self._direction = None

    def on_train_begin(self, logs=None):
        self.cooldown_counter = 0
        self.wait = 0
        self.best = None

    def _improved(self, current) -> bool:
        if self.best is None:
            return True
        if self._direction == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self._direction is None:
            self._direction = direction(self.model, self.monitor, self.mode, "ReduceLROnPlateau")
        current_lr = float(np.asarray(self.model.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
        logs["learning_rate"] = current_lr
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ReduceLROnPlateau: monitor {self.monitor!r} is not in the logs; available: "
                          f"{sorted(logs)}.", stacklevel=2)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and current_lr > float(np.float32(self.min_lr)):
                new_lr = max(current_lr * self.factor, self.min_lr)
                self.model.optimizer.learning_rate = new_lr
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                self.cooldown_counter, self.wait = self.cooldown, 0

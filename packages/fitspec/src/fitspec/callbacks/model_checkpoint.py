"""`ModelCheckpoint`: save the model (or its weights) every epoch or every `save_freq` batches.

`filepath` is formatted with `epoch` (1-based), `batch` (1-based, batch-level saves) and the log
keys, e.g. "ckpt-{epoch:02d}-{val_loss:.2f}.keras"; a key that is not in the logs is an error
that lists the keys that are. With `save_best_only`, a file is written only when the monitored
value improves on the best so far (or on `initial_value_threshold`). Writes are atomic. Batch-level
saves count batches, not hook calls (fitspec.callbacks.batch_frequency).
"""

from __future__ import annotations

import os
import string
import warnings

from fitspec.callbacks.batch_frequency import BatchFrequency, check_save_freq
from fitspec.callbacks.callback import Callback
from fitspec.callbacks.monitor import direction
from fitspec.errors import invalid_argument


class ModelCheckpoint(Callback):
    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        check_save_freq(save_freq, "ModelCheckpoint")
        if not isinstance(filepath, (str, os.PathLike)):
            raise invalid_argument("ModelCheckpoint", "filepath", "a path (a str or os.PathLike)", filepath)
        self.filepath = os.fspath(filepath)
        self._fields = _named_fields(self.filepath)
        self.monitor, self.verbose, self.mode = monitor, verbose, mode
        self.save_best_only, self.save_weights_only, self.save_freq = save_best_only, save_weights_only, save_freq
        self.best = initial_value_threshold
        self._direction = None
        self._frequency = BatchFrequency(save_freq) if save_freq != "epoch" else None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        if self._frequency is not None:
            self._frequency.start_epoch(self.fit_state)

    def on_train_batch_end(self, batch, logs=None):
        if self._frequency is not None and self._frequency.due(batch):
            self._save(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def file_path(self, epoch, batch, logs) -> str:
        values = {**logs, "epoch": epoch + 1}
        if batch is not None:
            values["batch"] = batch + 1
        missing = sorted(self._fields - set(values))
        if missing:
            raise invalid_argument("ModelCheckpoint", "filepath", f"fields among {sorted(values)}",
                                   f"<{self.filepath!r}, which names {missing}>")
        return self.filepath.format(**values)

    def _improved(self, current) -> bool:
        if self._direction is None:
            self._direction = direction(self.model, self.monitor, self.mode, "ModelCheckpoint")
        if self.best is None:
            return True
        return current < self.best if self._direction == "min" else current > self.best

    def _save(self, epoch, batch, logs) -> None:
        path = self.file_path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: monitor {self.monitor!r} is not in the logs; available: "
                              f"{sorted(logs)}; nothing saved.", stacklevel=2)
                return
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _named_fields(filepath: str) -> set[str]:
    """The fields `filepath` names; positional (`{}`, `{0}`) or malformed ones are refused."""
    expected = "a path whose {fields} name `epoch`, `batch` or log keys, such as 'ckpt-{epoch:02d}.keras'"
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(filepath) if name is not None]
    except ValueError as error:
        raise invalid_argument("ModelCheckpoint", "filepath", expected, f"<{filepath!r}: {error}>") from None
    fields = set()
    for name in names:
        field = name.split(".", 1)[0].split("[", 1)[0]
        if not field or field.isdigit() or field != name:
            raise invalid_argument("ModelCheckpoint", "filepath", expected,
                                   f"<{filepath!r}, whose field {{{name}}} names no log key>")
        fields.add(field)
    return fields

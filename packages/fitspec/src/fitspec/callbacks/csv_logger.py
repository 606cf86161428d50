"""`CSVLogger`: one row per epoch (`epoch` first, then the log keys sorted), flushed as it is written.

A vector value (docs/SPEC.md 6.10) is written as Keras 3 writes it: the text `"[a, b, c]"`, its quotes
included, which the csv writer then quotes again.
"""

from __future__ import annotations

import csv
import os

import numpy as np

from fitspec.callbacks.callback import Callback


class CSVLogger(Callback):
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys = None
        self._file = None

    def on_train_begin(self, logs=None):
        existing = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._needs_header = not existing
        if existing:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self.keys = header[1:] if header else None
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115 (held open)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        writer = csv.writer(self._file, delimiter=self.separator)
        if self._needs_header:
            writer.writerow(["epoch", *self.keys])
            self._needs_header = False
        writer.writerow([epoch, *(_cell(logs.get(k, "NA")) for k in self.keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


def _cell(value):
    """A value as Keras's CSVLogger writes it: a string or scalar as it is, anything iterable as `"[a, b]"`."""
    if isinstance(value, np.ndarray) and value.ndim > 0 or isinstance(value, (list, tuple)):
        return f'"[{", ".join(map(str, value))}]"'
    return value

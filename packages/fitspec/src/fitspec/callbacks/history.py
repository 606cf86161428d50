"""`History`: the epoch-end logs of a fit, returned by `fit()`."""

from __future__ import annotations

from fitspec.callbacks.callback import Callback


class History(Callback):
    """`history.history[key]` is the list of epoch-end values of `key`; `history.epoch` the epochs."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

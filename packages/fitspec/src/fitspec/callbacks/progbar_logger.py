"""`ProgbarLogger`: `Epoch i/n` and the guides' progress bar."""

from __future__ import annotations

from fitspec.callbacks.callback import Callback
from fitspec.progbar import Progbar, print_message


class ProgbarLogger(Callback):
    """Prints `Epoch i/n` and the progress bar of the guides."""

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self._bar = None
        self._seen = 0

    def _new_bar(self, target):
        # the logs hold the metrics' running results already: shown as they are (Keras: stateless_metrics=set())
        self._bar = Progbar(target, verbose=self.verbose, stateless_metrics=set())
        self._bar.backend = self._bar_backend()
        self._seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self.params.get("epochs", 1) and self.verbose:
            print_message(f"Epoch {epoch + 1}/{self.params['epochs']}\n", self._bar_backend())
        self._new_bar(self.params.get("steps"))

    def _bar_backend(self):
        return self.model.backend if self.model is not None else None

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self._seen, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if not self.params.get("in_fit"):
            self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self.params.get("in_fit"):
            self._seen = batch + 1
            self._bar.update(self._seen, logs, finalize=False)

    def on_test_end(self, logs=None):
        if not self.params.get("in_fit"):
            self._bar.update(self._seen, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, None, finalize=False)

    def on_predict_end(self, logs=None):
        self._bar.update(self._seen, None, finalize=True)

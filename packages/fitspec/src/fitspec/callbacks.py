"""`Callback` and its hooks, `CallbackList`, `History` and `ProgbarLogger`.

The trainer calls each hook through `CallbackList`; with steps_per_execution = N the batch hooks
run once per execution, with the index of the execution's last batch.
"""

from __future__ import annotations

from fitspec.progbar import Progbar

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class: override any hook; `self.model` and `self.params` are set before training."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


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


class ProgbarLogger(Callback):
    """Prints `Epoch i/n` and the progress bar of the guides."""

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self._bar = None
        self._seen = 0

    def _new_bar(self, target):
        self._bar = Progbar(target, verbose=self.verbose)
        self._seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self.params.get("epochs", 1) and self.verbose:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}")
        self._new_bar(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self._seen, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if not self.params.get("in_fit"):
            self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self.params.get("in_fit"):
            self._seen = batch + 1
            self._bar.update(self._seen, logs)

    def on_test_end(self, logs=None):
        if not self.params.get("in_fit"):
            self._bar.update(self._seen, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, None)

    def on_predict_end(self, logs=None):
        self._bar.update(self._seen, None, finalize=True)


class CallbackList:
    """Calls every hook on every callback, in order; adds History and the progress bar."""

    def __init__(self, callbacks=None, *, model, add_history=False, verbose=0, **params):
        from fitspec.errors import invalid_argument

        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise invalid_argument("fit", "callbacks", "a list of Callback instances", cb)
        if add_history:
            model.history = History()
            self.callbacks.append(model.history)
        if verbose and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger(verbose))
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params({"verbose": verbose, **params})

    def __getattr__(self, hook):
        if hook not in HOOKS:
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)

        return call

"""`Callback`, its hooks, and `CallbackList`, which calls them in order.

The trainer calls each hook through `CallbackList`; with steps_per_execution = N the batch hooks
run once per execution, with the index of the execution's last batch. The user's callbacks run
first, then History, then the progress bar, so History sees what callbacks added to the logs.
As in Keras, every hook receives `logs` positionally (a dict, empty where there are none), and the
train batch hooks also call the older names `on_batch_begin` / `on_batch_end`.
"""

from __future__ import annotations

from fitspec.errors import describe, invalid_argument

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)

#: hook -> the older names its base implementation calls (so overriding either counts as overriding it).
_OLDER_NAMES = {"on_train_batch_begin": ("on_batch_begin",), "on_train_batch_end": ("on_batch_end",)}


def _no_op(*args, **kwargs) -> None:
    pass


class Callback:
    """Base class: override any hook; `self.model` and `self.params` are set before training.

    In fit(), `self.fit_state` is the run's fitspec.fit_state.FitState (None in evaluate and predict).
    """

    fit_state = None

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def set_fit_state(self, fit_state):
        self.fit_state = fit_state

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


def _as_list(callbacks, where: str) -> list:
    """A Callback, or a (nested) list or tuple of them, as a flat list (Keras 3 flattens `callbacks`)."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if isinstance(callbacks, (list, tuple)):
        return [cb for entry in callbacks for cb in _as_list_entry(entry, where)]
    raise invalid_argument(where, "callbacks", "a Callback or a list of Callback instances", callbacks)


def _as_list_entry(entry, where: str) -> list:
    if not isinstance(entry, (Callback, list, tuple)):
        raise invalid_argument(where, "callbacks", "a Callback or a list of Callback instances",
                               f"<a list holding {describe(entry)}>")
    return _as_list(entry, where)


class CallbackList:
    """Calls every hook on every callback, in order; adds History and the progress bar."""

    def __init__(self, callbacks=None, *, model, add_history=False, verbose=0, where="fit", fit_state=None,
                 **params):
        self.callbacks = _as_list(callbacks, where)
        from fitspec.callbacks.history import History
        from fitspec.callbacks.progbar_logger import ProgbarLogger

        if add_history:
            model.history = History()
            self.callbacks.append(model.history)
        if verbose and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger(verbose))
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params({"verbose": verbose, **params})
            cb.set_fit_state(fit_state)

    def hook(self, name: str):
        """`self.<name>`, or a no-op when no callback overrides that hook (History alone at verbose=0): fit(),
        evaluate() and predict() look their batch hooks up once, since each call through the list would cost
        microseconds on every step for nothing."""
        names = (name, *_OLDER_NAMES.get(name, ()))
        for cb in self.callbacks:
            for n in names:
                if n in vars(cb) or getattr(type(cb), n) is not getattr(Callback, n):
                    return getattr(self, name)
        return _no_op

    def __getattr__(self, hook):
        if hook not in HOOKS:
            raise AttributeError(hook)

        arity = 2 if "batch" in hook or "epoch" in hook else 1  # (index, logs) or (logs)

        def call(*args, **kwargs):
            if "logs" not in kwargs and len(args) < arity:
                args = (*args, {})  # as Keras: a dict, which `def on_train_begin(self, logs)` reads
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)

        return call

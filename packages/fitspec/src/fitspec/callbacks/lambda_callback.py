"""`LambdaCallback`: a callback from plain functions, one per hook."""

from __future__ import annotations

from fitspec.callbacks.callback import HOOKS, Callback
from fitspec.errors import invalid_argument

_ALIASES = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}


class LambdaCallback(Callback):
    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            hook = _ALIASES.get(name, name)
            if hook not in HOOKS:
                raise invalid_argument("LambdaCallback", name, f"a hook name from {sorted((*HOOKS, *_ALIASES))}",
                                       "<unknown hook>")
            if not callable(fn):
                raise invalid_argument("LambdaCallback", name, "a function", fn)
            setattr(self, hook, fn)

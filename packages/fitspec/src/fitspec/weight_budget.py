"""A bound on the weights a model may create while it is rebuilt from a file (fitspec.saving): a config
that asks for more values than the file holds fails before the initializer allocates anything."""

from __future__ import annotations

import contextlib
import contextvars
import math

_budget = contextvars.ContextVar("fitspec_weight_budget", default=None)


class _Budget:
    def __init__(self, values: int, refuse):
        self.left, self.refuse = values, refuse


@contextlib.contextmanager
def bounded(values: int, contents):
    """Within this block weights may hold `values` numbers in all; beyond that `contents.refuse(expected, why)`."""
    token = _budget.set(_Budget(values, contents.refuse))
    try:
        yield
    finally:
        _budget.reset(token)


def charge(shape, path: str) -> None:
    """Count a weight about to be created (Layer.add_weight, before its initializer runs)."""
    budget = _budget.get()
    if budget is None:
        return
    size = math.prod(shape)
    if size > budget.left:
        budget.refuse(f"a model config whose weights fit the file's tensors ({budget.left} values left)",
                      f"whose config asks for weight {path!r} of shape {tuple(shape)}")
    budget.left -= size

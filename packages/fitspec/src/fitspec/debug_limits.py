"""`fs.config.max_epochs` / `max_steps_per_epoch` and their setters (Keras 3's debugging caps, docs/SPEC.md 12.11):
process-wide, as Keras's; fit() takes at most max_epochs epochs, and every epoch of fit, evaluate and predict (the
validation runs included) at most max_steps_per_epoch steps, each cap with Keras's warning."""

from __future__ import annotations

import warnings

from fitspec.errors import invalid_argument

_limits: dict[str, int | None] = {"max_epochs": None, "max_steps_per_epoch": None}


def _set(name: str, value) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise invalid_argument(f"config.set_{name}", name, "a positive int, or None (no limit)", value)
    _limits[name] = value


def set_max_epochs(max_epochs) -> None:
    """Cap the epochs of every fit() (None: no cap)."""
    _set("max_epochs", max_epochs)


def max_epochs() -> int | None:
    return _limits["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Cap the steps of every epoch of fit(), evaluate() and predict() (None: no cap)."""
    _set("max_steps_per_epoch", max_steps_per_epoch)


def max_steps_per_epoch() -> int | None:
    return _limits["max_steps_per_epoch"]


def capped_epochs(epochs: int) -> int:
    """min(epochs, max_epochs), warning as Keras does when it caps."""
    cap = _limits["max_epochs"]
    if cap is not None and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps: int | None, num_batches: int | None) -> int | None:
    """Keras's rule: a cap replaces a larger `steps`, or None (a pass over the data) where the pass is longer or of
    unknown length, with a warning; an epoch is then as with steps_per_epoch=cap."""
    cap = _limits["max_steps_per_epoch"]
    if cap is not None and (cap < steps if steps else num_batches is None or cap < num_batches):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


def entries() -> dict:
    """`fs.config`'s four entries."""
    return {"max_epochs": max_epochs, "set_max_epochs": set_max_epochs,
            "max_steps_per_epoch": max_steps_per_epoch, "set_max_steps_per_epoch": set_max_steps_per_epoch}

"""Which way a monitored quantity should go: shared by EarlyStopping, ReduceLROnPlateau, ModelCheckpoint."""

from __future__ import annotations

import math

from fitspec.errors import invalid_argument

MODES = ("auto", "min", "max")
_UPWARD_NAMES = ("acc", "accuracy", "auc", "precision", "recall")


def direction(model, monitor: str, mode: str, where: str) -> str:
    """"min" or "max": given by `mode`, or in "auto" from the loss, the metric's direction, or its name."""
    if mode not in MODES:
        raise invalid_argument(where, "mode", f"one of {MODES}", mode)
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", []) if model is not None else []:
        if metric.name == name and getattr(metric, "direction", None):
            return "max" if metric.direction == "up" else "min"
    if any(token in name for token in _UPWARD_NAMES):
        return "max"
    if any(token in name for token in ("error", "mse", "mae", "hinge", "crossentropy")):
        return "min"
    raise ValueError(
        f"{where}: cannot tell whether `monitor={monitor!r}` should go up or down; pass mode='max' or mode='min'."
    )


def is_finite_number(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False

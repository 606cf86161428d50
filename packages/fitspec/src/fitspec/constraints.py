"""Constraints: `constraint(w) -> w'`, applied by the optimizer to a variable after each update of it
(docs/SPEC.md 8d.10); written once against the backend's ops (`self.backend.ops`)."""

from __future__ import annotations

import math

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz


def _number(where: str, argument: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise invalid_argument(where, argument, "a finite number", value)
    return value


def _axis(where: str, axis):
    if isinstance(axis, (list, tuple)) and axis and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                                        for a in axis):
        return list(axis)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise invalid_argument(where, "axis", "an int or a list of ints", axis)


class Constraint:
    """`constraint(w)`: the base returns w unchanged."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _norms(self, w, axis):
        ops = self.backend.ops
        return ops.sqrt(ops.sum(ops.square(w), axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=True))

    def _rescaled(self, w, desired):
        """w * desired(ops, n) / (ε + n), n the L2 norms of w along `self.axis` (kept), ε = fs.config.epsilon()."""
        ops = self.backend.ops
        w = ops.convert_to_tensor(w)
        norms = self._norms(w, self.axis)
        return w * (desired(ops, norms) / (fuzz(ops) + norms))


class MaxNorm(Constraint):
    """w * clip(n, 0, max_value) / (ε + n), n the L2 norms along `axis` (kept), ε = fs.config.epsilon()."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = _number("MaxNorm", "max_value", max_value)
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w):
        return self._rescaled(w, lambda ops, norms: ops.clip(norms, 0, self.max_value))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (ε + n), n the L2 norms along `axis`."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _number("MinMaxNorm", "min_value", min_value)
        self.max_value = _number("MinMaxNorm", "max_value", max_value)
        self.rate = _number("MinMaxNorm", "rate", rate)
        self.axis = _axis("MinMaxNorm", axis)

    def __call__(self, w):
        return self._rescaled(w, lambda ops, norms: (
            self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class NonNeg(Constraint):
    """max(w, 0)."""

    def __call__(self, w):
        ops = self.backend.ops
        return ops.maximum(ops.convert_to_tensor(w), 0)


class UnitNorm(Constraint):
    """w / (ε + n), n the L2 norms along `axis`."""

    def __init__(self, axis=0):
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w):
        ops = self.backend.ops
        w = ops.convert_to_tensor(w)
        return w / (fuzz(ops) + self._norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


CLASSES = {cls.__name__: cls for cls in (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
ALIASES = {"max_norm": "MaxNorm", "min_max_norm": "MinMaxNorm", "non_neg": "NonNeg", "unit_norm": "UnitNorm"}
#: the strings Keras's `get` resolves: the class names and their snake_case
STRING_NAMES = {**{name: name for name in (*CLASSES, "Constraint")}, **ALIASES, "constraint": "Constraint"}

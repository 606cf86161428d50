"""The Initializer base class and the checks its subclasses share: `initializer(shape, dtype) -> np.ndarray`.

Every initializer computes on the host in numpy (float64 unless a dtype says otherwise) and casts at the end, so
the same arguments give the same array on every backend (docs/SPEC.md 3.1, 3.3).
"""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument

#: the dtype of a standalone call without one; layers, metrics and optimizers always pass theirs (floatx)
DEFAULT_DTYPE = "float32"


class Initializer:
    """`initializer(shape, dtype=None) -> np.ndarray`; `get_config()` / `from_config(config)` round-trip it."""

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError("Initializer subclasses must implement `__call__(shape, dtype=None)`.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


def check_shape(where: str, shape) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:
        dims = None
    if dims is None or any(d < 0 for d in dims) or any(int(d) != d for d in shape):
        raise invalid_argument(where, "shape", "a tuple of non-negative ints", shape)
    return dims


def check_dtype(dtype) -> str:
    return DEFAULT_DTYPE if dtype is None else dtype


def check_number(where: str, argument: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise invalid_argument(where, argument, "a number", value)
    return value

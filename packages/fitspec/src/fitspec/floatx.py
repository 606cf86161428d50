"""A backend's default float dtype, floatx, and its fuzz factor, epsilon: one setting each per backend, held by its
ops module (`ops.floatx`, `ops.floatx.epsilon`).

Everything that makes a float without being given a dtype reads floatx: the ops that create tensors,
conversions of Python floats, Variables, layers, metrics, losses, optimizers and `fs.random`. Every
formula where Keras reads `backend.epsilon()` reads `epsilon(ops)` (docs/SPEC.md 12.4).
"""

from __future__ import annotations

import numbers

import numpy as np

from fitspec.errors import invalid_argument

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
DEFAULT_EPSILON = 1e-7  # Keras 3's default


class Floatx:
    """`floatx()` is the current dtype name; `set` changes it for this backend only."""

    def __init__(self, default: str):
        self.default = default
        self._dtype = default
        self.epsilon = DEFAULT_EPSILON  # fs.config.epsilon()

    def __call__(self) -> str:
        return self._dtype

    def set(self, dtype: str, where: str = "config.set_floatx") -> None:
        if dtype not in FLOAT_DTYPES:
            raise invalid_argument(where, "dtype", f"one of {FLOAT_DTYPES}", dtype)
        self._dtype = dtype

    def set_epsilon(self, value, where: str = "config.set_epsilon") -> None:
        """Keras's `set_epsilon`, for this backend only; a value that would clip to 0 or past 1/2 is refused."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < 0.5:
            raise invalid_argument(where, "value", "a number in (0, 0.5)", value)
        self.epsilon = float(value)

    def of_python(self, value) -> str | None:
        """floatx for a Python float, or a (nested) list or tuple of Python numbers holding one; None for anything
        else, which keeps its own dtype (arrays, tensors, numpy scalars, ints, bools)."""
        return self._dtype if holds_python_float(value) else None


def epsilon(ops) -> float:
    """The fuzz factor of the backend whose ops are `ops` (Keras's `backend.epsilon()`, 1e-7 by default)."""
    return ops.floatx.epsilon


def holds_python_float(value) -> bool:
    """Whether `value` is a Python float, or a (nested) list or tuple of Python numbers holding one."""
    if isinstance(value, (list, tuple)):
        found = False
        for element in value:
            if isinstance(element, (list, tuple)):
                found = holds_python_float(element) or found
            elif not _is_python_number(element):
                return False  # arrays or tensors inside: the framework promotes them
            else:
                found = found or isinstance(element, float)
        return found
    return isinstance(value, float) and not isinstance(value, np.generic)


def _is_python_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, np.generic)

"""A backend's default float dtype, floatx: one setting per backend, held by its ops module (`ops.floatx`).

Everything that makes a float without being given a dtype reads it: the ops that create tensors,
conversions of Python floats, Variables, layers, metrics, losses, optimizers and `fs.random`.
"""

from __future__ import annotations

import numbers

import numpy as np

from fitspec.errors import invalid_argument

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


class Floatx:
    """`floatx()` is the current dtype name; `set` changes it for this backend only."""

    def __init__(self, default: str):
        self.default = default
        self._dtype = default

    def __call__(self) -> str:
        return self._dtype

    def set(self, dtype: str, where: str = "config.set_floatx") -> None:
        if dtype not in FLOAT_DTYPES:
            raise invalid_argument(where, "dtype", f"one of {FLOAT_DTYPES}", dtype)
        self._dtype = dtype

    def of_python(self, value) -> str | None:
        """floatx for a Python float, or a (nested) list or tuple of Python numbers holding one; None for anything
        else, which keeps its own dtype (arrays, tensors, numpy scalars, ints, bools)."""
        return self._dtype if holds_python_float(value) else None


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

"""Variables and the stateless scope.

A `Variable` owns one array of a backend. Inside a `StatelessScope` reads return the values the
scope maps the variable to, and writes are recorded in the scope instead of the variable: this is
how `stateless_call`, `stateless_apply` and `stateless_update_state` are written once, on top of
the ordinary stateful code of layers, optimizers and metrics.
"""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np

from fitspec import naming
from fitspec.errors import invalid_argument
from fitspec.floatx import holds_python_float

_local = threading.local()


def _scope_stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current_scope() -> StatelessScope | None:
    stack = _scope_stack()
    return stack[-1] if stack else None


def scope_holding(variable) -> StatelessScope | None:
    """The innermost open scope that maps `variable` or recorded a write to it; None when no scope does."""
    scope = current_scope()
    while scope is not None and id(variable) not in scope._values:
        scope = scope._parent
    return scope


#: the float dtypes a variable of another float dtype is read in, inside an autocast scope (mixed precision)
_FLOATS = frozenset(("float16", "bfloat16", "float32", "float64"))


def autocast_dtype() -> str | None:
    """The compute dtype float variables are read in (a layer of a mixed dtype policy is calling), or None."""
    return getattr(_local, "autocast", None)


class AutocastScope:
    """Inside it, `Variable.value` of a float variable (with `autocast`) is cast to `dtype` (None: not cast), as
    Keras's AutocastScope: how a layer of policy mixed_float16 computes with its float32 variables."""

    def __init__(self, dtype: str | None):
        self.dtype = dtype

    def __enter__(self):
        self._previous = getattr(_local, "autocast", None)
        _local.autocast = self.dtype
        return self

    def __exit__(self, *exc):
        _local.autocast = self._previous


class StatelessScope:
    """Maps variables to values for reading, and records every assignment made inside it."""

    def __init__(self, state_mapping=()):
        self._values: dict[int, object] = {}
        self._variables: dict[int, Variable] = {}
        for variable, value in state_mapping:
            self._values[id(variable)] = value
            self._variables[id(variable)] = variable
        self._parent = None

    def __enter__(self):
        self._parent = current_scope()
        _scope_stack().append(self)
        return self

    def __exit__(self, *exc):
        _scope_stack().pop()

    def lookup(self, variable):
        if id(variable) in self._values:
            return self._values[id(variable)]
        if self._parent is not None:
            return self._parent.lookup(variable)
        return None

    def record(self, variable, value) -> None:
        self._values[id(variable)] = value
        self._variables[id(variable)] = variable

    def get_current_value(self, variable):
        """The value `variable` has at this point of the scope (mapped, assigned, or stored)."""
        value = self.lookup(variable)
        return variable.raw_value if value is None else value


class Variable:
    """A named, typed, shaped array owned by a layer, optimizer or metric.

    Backends implement `_make_storage`, `_read`, `_write` and `_to_numpy`; everything else,
    including the stateless scope and arithmetic, is defined here once. `aggregation` and
    `synchronization` are Keras's: how data-parallel replicas combine the variable (SPEC 13.7).
    """

    backend: ClassVar = None
    AGGREGATIONS: ClassVar = ("none", "mean", "sum", "only_first_replica")
    SYNCHRONIZATIONS: ClassVar = ("none", "on_read", "on_write", "auto")
    aggregation = "none"
    synchronization = "auto"

    def __init__(self, initial_value, *, dtype=None, trainable=True, name=None, path=None, aggregation="none",
                 synchronization="auto"):
        aggregation = "none" if aggregation is None else aggregation
        if aggregation not in self.AGGREGATIONS:
            raise invalid_argument("Variable", "aggregation", f"one of {self.AGGREGATIONS} or None", aggregation)
        synchronization = "none" if synchronization is None else synchronization
        if synchronization not in self.SYNCHRONIZATIONS:
            raise invalid_argument("Variable", "synchronization", f"one of {self.SYNCHRONIZATIONS} or None",
                                   synchronization)
        self.aggregation, self.synchronization = aggregation, synchronization
        array = np.asarray(initial_value)
        if dtype is None:  # as Keras: Python floats in floatx, arrays in their own dtype
            dtype = self.backend.floatx() if holds_python_float(initial_value) else array.dtype
        self.dtype = str(dtype)
        self.shape = tuple(array.shape)
        self.trainable = bool(trainable)
        self.name = name or naming.unique_name("variable")
        self.path = path or self.name
        self._storage = self._make_storage(array.astype(self.dtype))

    # -- backend hooks -------------------------------------------------------------------
    def _make_storage(self, array: np.ndarray):
        raise NotImplementedError

    def _read(self):
        return self._storage

    def _write(self, value) -> None:
        raise NotImplementedError

    def _to_numpy(self) -> np.ndarray:
        raise NotImplementedError

    def _place_beside(self, other: Variable) -> None:
        """Move the storage to `other`'s device, where a backend has several (an optimizer's slot beside its
        variable, wherever the model was moved); one device by default."""

    # -- reading and writing ---------------------------------------------------------------
    @classmethod
    def _read_values(cls, variables) -> list:
        """The stored values of `variables` (an execution's state, read once per execution)."""
        return [v._read() for v in variables]

    @classmethod
    def _write_values(cls, variables, values) -> None:
        """Store `values`, each already cast and shaped as its Variable (an execution's new state)."""
        for variable, value in zip(variables, values):
            variable._write(value)

    @property
    def raw_value(self):
        """The stored value, ignoring any stateless scope."""
        return self._read()

    #: read in the compute dtype inside an AutocastScope (Keras's `autocast`, True for a layer's weights)
    autocast = True

    @property
    def value(self):
        scope = current_scope()
        if scope is not None:
            scoped = scope.lookup(self)
            if scoped is not None:
                return self._autocast(scoped)
        return self._autocast(self._read())

    def _autocast(self, value):
        dtype = getattr(_local, "autocast", None)
        if dtype is None or dtype == self.dtype or not self.autocast or self.dtype not in _FLOATS:
            return value
        return self.backend.ops.cast(value, dtype)

    def assign(self, value):
        value = self.backend.ops.cast(value, self.dtype)
        if tuple(value.shape) != self.shape:
            from fitspec.errors import invalid_argument

            raise invalid_argument(f"Variable '{self.path}'.assign", "value", f"shape {self.shape}", value)
        scope = current_scope()
        if scope is not None:
            scope.record(self, value)
        else:
            self._write(value)
        return value

    def assign_add(self, delta):
        return self.assign(self.value + delta)

    def assign_sub(self, delta):
        return self.assign(self.value - delta)

    def numpy(self) -> np.ndarray:
        return self._to_numpy()

    def __array__(self, dtype=None, copy=None):
        array = self._to_numpy()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        return f"<Variable path={self.path} shape={self.shape} dtype={self.dtype}>"

    # -- arithmetic reads the current value ---------------------------------------------------
    def __add__(self, other):
        return self.value + _value_of(other)

    def __radd__(self, other):
        return _value_of(other) + self.value

    def __sub__(self, other):
        return self.value - _value_of(other)

    def __rsub__(self, other):
        return _value_of(other) - self.value

    def __mul__(self, other):
        return self.value * _value_of(other)

    def __rmul__(self, other):
        return _value_of(other) * self.value

    def __truediv__(self, other):
        return self.value / _value_of(other)

    def __rtruediv__(self, other):
        return _value_of(other) / self.value

    def __pow__(self, other):
        return self.value ** _value_of(other)

    def __neg__(self):
        return -self.value

    def __matmul__(self, other):
        return self.value @ _value_of(other)

    def __rmatmul__(self, other):
        return _value_of(other) @ self.value

    def __getitem__(self, index):
        return self.value[index]

    def __float__(self):
        return float(self._to_numpy())

    def __int__(self):
        return int(self._to_numpy())

    def __bool__(self):
        return bool(self._to_numpy())

    def __lt__(self, other):
        return self.value < _value_of(other)

    def __gt__(self, other):
        return self.value > _value_of(other)

    def __le__(self, other):
        return self.value <= _value_of(other)

    def __ge__(self, other):
        return self.value >= _value_of(other)

    __hash__ = object.__hash__


def _value_of(x):
    return x.value if isinstance(x, Variable) else x


def unwrap(x):
    """The current value of a Variable; anything else unchanged."""
    return x.value if isinstance(x, Variable) else x

"""Elementwise math over lists of tensors, one per variable: the language every built-in update is written in.

An update runs once per `Group` (variables of one dtype, and of one device where the backend has several): `Leaves`
wraps the group's list of gradients, slot values or temporaries, and each op on it maps over the list. `Group` maps
it variable by variable with the backend's ops; a backend may declare a subclass (`Backend.optimizer_group`) that
maps each op to one fused kernel over the list (fitspec_torch: `torch._foreach_*`) and gives the same numbers.
"""

from __future__ import annotations

import operator

#: the binary ops of `Leaves`, by the name a backend's mapping dispatches on
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


class Leaves:
    """A group's tensors, one per variable, with elementwise arithmetic: `m * beta + g * (1 - beta)`.

    The other operand is another Leaves of the group or a scalar (a Python number, or a value of `group.cast`).
    """

    __slots__ = ("group", "_tensors")

    def __init__(self, group, tensors):
        self.group, self._tensors = group, tensors

    @property
    def tensors(self) -> list:
        return self._tensors

    def __len__(self):
        return len(self._tensors)

    def __add__(self, other):
        return self.group.binary("add", self, other)

    def __radd__(self, other):
        return self.group.binary("add", other, self)

    def __sub__(self, other):
        return self.group.binary("sub", self, other)

    def __rsub__(self, other):
        return self.group.binary("sub", other, self)

    def __mul__(self, other):
        return self.group.binary("mul", self, other)

    def __rmul__(self, other):
        return self.group.binary("mul", other, self)

    def __truediv__(self, other):
        return self.group.binary("div", self, other)

    def __rtruediv__(self, other):
        return self.group.binary("div", other, self)

    def __neg__(self):
        return self.group.unary("negative", self)


class VariableLeaves(Leaves):
    """Variables of a group (the model's, or an optimizer's slots): read as their current values, written with
    `assign`, `assign_add`, `assign_sub` (Keras's optimizer writes)."""

    __slots__ = ("variables",)

    def __init__(self, group, variables):
        super().__init__(group, None)
        self.variables = variables

    @property
    def tensors(self) -> list:
        return self.group.read(self.variables)

    def __len__(self):
        return len(self.variables)

    def assign(self, value) -> None:
        self.group.write("assign", self.variables, value)

    def assign_add(self, value) -> None:
        self.group.write("assign_add", self.variables, value)

    def assign_sub(self, value) -> None:
        self.group.write("assign_sub", self.variables, value)


class Group:
    """Variables of one dtype updated together, and the ops an update applies to them, variable by variable.

    Scalars (`cast`, `power`, `sqrt` of a scalar, `bias_correction`) are the backend's 0-d tensors in the group's
    dtype, as Keras computes them in `update_step`; a subclass may hold them elsewhere (on the host) if it computes
    the same values. `indices` are the variables' positions in the list the optimizer was built with (where their
    slots are).
    """

    def __init__(self, ops, dtype: str, indices: list[int]):
        self.ops, self.dtype, self.indices = ops, dtype, indices

    # -- forming groups ----------------------------------------------------------------------------------------
    @classmethod
    def update(cls, optimizer, gradients: list, variables: list, step) -> None:
        """step(group, Leaves of gradients, VariableLeaves of variables) for each group of `variables`."""
        for group, group_gradients, group_variables in cls.split(optimizer, gradients, variables):
            step(group, group_gradients, group_variables)

    @classmethod
    def split(cls, optimizer, gradients: list, variables: list):
        """(group, Leaves of gradients, VariableLeaves of variables) per dtype of `variables`."""
        by_dtype: dict = {}
        for g, v in zip(gradients, variables):
            by_dtype.setdefault(v.dtype, []).append((g, v))
        for dtype, pairs in by_dtype.items():
            group = cls(optimizer.ops, dtype, [optimizer._get_variable_index(v) for _, v in pairs])
            yield group, Leaves(group, [g for g, _ in pairs]), VariableLeaves(group, [v for _, v in pairs])

    @classmethod
    def of_one(cls, optimizer, gradient, variable):
        """The group of one variable, as Keras's `update_step(gradient, variable, learning_rate)` sees it."""
        group = cls(optimizer.ops, variable.dtype, [optimizer._get_variable_index(variable)])
        gradient = optimizer.ops.cast(gradient, variable.dtype)
        return group, Leaves(group, [gradient]), VariableLeaves(group, [variable])

    def slots(self, slot_variables: list) -> VariableLeaves:
        """The slots of this group's variables, from a list made by `build` in the built order
        (Keras: `slot_variables[self._get_variable_index(variable)]`)."""
        return VariableLeaves(self, [slot_variables[i] for i in self.indices])

    # -- reading and writing variables ---------------------------------------------------------------------------
    def read(self, variables: list) -> list:
        return [v.value for v in variables]

    def write(self, kind: str, variables: list, value) -> None:
        """`variable.assign(value)` (or assign_add / assign_sub) for each variable and its value."""
        values = value.tensors if isinstance(value, Leaves) else [value] * len(variables)
        for variable, v in zip(variables, values):
            getattr(variable, kind)(v)

    # -- elementwise ops over Leaves (and scalars) ------------------------------------------------------------------
    def binary(self, name: str, x, y) -> Leaves:
        op = BINARY[name]
        if isinstance(x, Leaves):
            if isinstance(y, Leaves):
                return Leaves(self, [op(a, b) for a, b in zip(x.tensors, y.tensors)])
            return Leaves(self, [op(a, y) for a in x.tensors])
        return Leaves(self, [op(x, b) for b in y.tensors])

    def unary(self, name: str, x):
        """ops.<name> of a scalar, or of each tensor of a Leaves."""
        fn = getattr(self.ops, name)
        return Leaves(self, [fn(a) for a in x.tensors]) if isinstance(x, Leaves) else fn(x)

    def sqrt(self, x):
        return self.unary("sqrt", x)

    def square(self, x):
        return self.unary("square", x)

    def abs(self, x):
        return self.unary("abs", x)

    def sign(self, x):
        return self.unary("sign", x)

    def maximum(self, x, y):
        return self._pairwise("maximum", x, y)

    def minimum(self, x, y):
        return self._pairwise("minimum", x, y)

    def _pairwise(self, name, x, y):
        fn = getattr(self.ops, name)
        if isinstance(x, Leaves) or isinstance(y, Leaves):
            xs = x.tensors if isinstance(x, Leaves) else [x] * len(y)
            ys = y.tensors if isinstance(y, Leaves) else [y] * len(x)
            return Leaves(self, [fn(a, b) for a, b in zip(xs, ys)])
        return fn(x, y)

    # -- scalars in the group's dtype ----------------------------------------------------------------------------------
    def cast(self, value):
        """`ops.cast(value, dtype)` of a number or a 0-d tensor (the learning rate, `iterations + 1`, a beta)."""
        return self.ops.cast(value, self.dtype)

    def local_step(self, iterations):
        """t = iterations + 1 (the number of the step being taken), cast: Keras's `local_step`."""
        return self.cast(iterations + 1)

    def power(self, base, exponent):
        """base^exponent of two scalars of `cast`."""
        return self.ops.power(base, exponent)

    def bias_correction(self, decay, step):
        """1 - decay^step, decay cast to the group's dtype (optax's `bias_correction`; Adam's 1 - b^t)."""
        return 1 - self.power(self.cast(decay), step)

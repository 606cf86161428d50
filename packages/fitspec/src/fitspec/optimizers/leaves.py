"""Elementwise math over lists of tensors, one per variable: the language every built-in update is written in.

An update runs once per `Group` (variables of one dtype, and of one device where the backend has several): `Leaves`
wraps the group's list of gradients, slot values or intermediate results, and each op on it maps over the list.
`Group` maps it variable by variable with the backend's ops; a backend may declare a subclass
(`Backend.optimizer_group`) that maps each op to one fused kernel over the list (fitspec_torch: `torch._foreach_*`)
and gives the same numbers.

An intermediate result (what an op returns) is used once: the op that uses it may overwrite it in place (a fused
mapping does, sparing an allocation per op). `Group` raises on a second use (every formula runs through it, on every
backend, in the conformance suite); `group.keep(x)` makes a result reusable. Gradients, variables and slots are
never overwritten.
"""

from __future__ import annotations

import operator

#: the binary ops of `Leaves`, by the name a backend's mapping dispatches on
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


def binary_operator(name: str) -> tuple:
    """Leaves' pair (x op y, y op x) of the binary op `name`: the group maps the first with `binary`, the reflected
    one (a scalar first) with `scalar_first`."""
    return (lambda x, y: x.group.binary(name, x, y)), (lambda x, y: x.group.scalar_first(name, y, x))


class Leaves:
    """A group's tensors, one per variable, with elementwise arithmetic: `m * beta + g * (1 - beta)`.

    The other operand is another Leaves of the group or a scalar (a Python number, or a value of `group.cast`).
    `intermediate`: made by an op, so used once (see the module docstring).
    """

    __slots__ = ("group", "_tensors", "intermediate")

    def __init__(self, group, tensors, intermediate=False):
        self.group, self._tensors, self.intermediate = group, tensors, intermediate

    @property
    def tensors(self) -> list:
        return self._tensors

    def __len__(self):
        return len(self._tensors)

    __add__, __radd__ = binary_operator("add")
    __sub__, __rsub__ = binary_operator("sub")
    __mul__, __rmul__ = binary_operator("mul")
    __truediv__, __rtruediv__ = binary_operator("div")

    def __neg__(self):
        return self.group.unary("negative", self)


class VariableLeaves(Leaves):
    """Variables of a group (the model's, or an optimizer's slots): read as their current values, written with
    `assign`, `assign_add`, `assign_sub` (Keras's optimizer writes). `tensors`, when given, are what every read
    returns (a mapping whose writes are in place reads the same tensors throughout)."""

    __slots__ = ("variables",)

    def __init__(self, group, variables, tensors=None):
        self.group, self._tensors, self.intermediate, self.variables = group, tensors, False, variables

    @property
    def tensors(self) -> list:
        return self._tensors if self._tensors is not None else self.group.read(self.variables)

    def __len__(self):
        return len(self.variables)

    def assign(self, value) -> None:
        self.group.write("assign", self, value)

    def assign_add(self, value) -> None:
        self.group.write("assign_add", self, value)

    def assign_sub(self, value) -> None:
        self.group.write("assign_sub", self, value)


def take(x: Leaves) -> list:
    """The tensors of `x` for an op; an intermediate result is used up by it."""
    tensors = x._tensors
    if x.intermediate:
        if tensors is None:
            raise RuntimeError("an intermediate result of an optimizer's update was used twice; make it reusable "
                               "with `group.keep(value)` (fitspec.optimizers.leaves)")
        x._tensors = None
        return tensors
    return tensors if tensors is not None else x.group.read(x.variables)


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
        """(group, Leaves of gradients cast to the group's dtype, VariableLeaves of variables) per dtype of
        `variables`."""
        by_dtype: dict = {}
        for g, v in zip(gradients, variables):
            by_dtype.setdefault(v.dtype, []).append((g, v))
        ops = optimizer.ops
        for dtype, pairs in by_dtype.items():
            group = cls(ops, dtype, [optimizer._trainable_variables_indices[id(v)] for _, v in pairs])
            gradients_of_group = Leaves(group, [ops.cast(g, dtype) for g, _ in pairs])
            yield group, gradients_of_group, VariableLeaves(group, [v for _, v in pairs])

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

    def subset(self, variables: VariableLeaves, keep: list) -> VariableLeaves:
        """The variables of `variables` whose entry of `keep` is true (those weight decay applies to)."""
        tensors = variables._tensors
        return VariableLeaves(self, [v for v, k in zip(variables.variables, keep) if k],
                              None if tensors is None else [t for t, k in zip(tensors, keep) if k])

    # -- reading, writing, using once ------------------------------------------------------------------------------
    def read(self, variables: list) -> list:
        return [v.value for v in variables]

    def write(self, kind: str, target: VariableLeaves, value) -> None:
        """`variable.assign(value)` (or assign_add / assign_sub) for each variable of `target` and its value."""
        values = take(value) if isinstance(value, Leaves) else [value] * len(target)
        for variable, v in zip(target.variables, values):
            getattr(variable, kind)(v)

    def keep(self, x: Leaves) -> Leaves:
        """`x`, reusable: no op overwrites it."""
        return Leaves(self, take(x))

    # -- elementwise ops over Leaves (and scalars) ------------------------------------------------------------------
    def binary(self, name: str, x: Leaves, y) -> Leaves:
        """x <op> y, y a Leaves of the group or a scalar."""
        op = BINARY[name]
        if isinstance(y, Leaves):
            return Leaves(self, [op(a, b) for a, b in zip(take(x), take(y))], True)
        return Leaves(self, [op(a, y) for a in take(x)], True)

    def scalar_first(self, name: str, s, y: Leaves) -> Leaves:
        """s <op> y for a scalar s (`1 - beta * m`'s first operand)."""
        op = BINARY[name]
        return Leaves(self, [op(s, b) for b in take(y)], True)

    def unary(self, name: str, x):
        """ops.<name> of a scalar, or of each tensor of a Leaves."""
        fn = getattr(self.ops, name)
        return Leaves(self, [fn(a) for a in take(x)], True) if isinstance(x, Leaves) else fn(x)

    def sqrt(self, x):
        return self.unary("sqrt", x)

    def square(self, x):
        return self.unary("square", x)

    def abs(self, x):
        return self.unary("abs", x)

    def sign(self, x):
        return self.unary("sign", x)

    def maximum(self, x, y):
        return self.pairwise("maximum", x, y)

    def minimum(self, x, y):
        return self.pairwise("minimum", x, y)

    def pow(self, x: Leaves, exponent: float) -> Leaves:
        """x^exponent of each tensor of a Leaves, the exponent a Python number (as Keras's formulas give it)."""
        return Leaves(self, [self.ops.power(a, exponent) for a in take(x)], True)

    def clip(self, x, low, high):
        """min(max(x, low), high), low and high scalars of `cast`."""
        return self.minimum(self.maximum(x, low), high)

    def pairwise(self, name: str, x, y):
        """ops.<name>(x, y) of two scalars, or of each tensor of a Leaves and the other operand."""
        fn = getattr(self.ops, name)
        if isinstance(x, Leaves) or isinstance(y, Leaves):
            xs = take(x) if isinstance(x, Leaves) else [x] * len(y)
            ys = take(y) if isinstance(y, Leaves) else [y] * len(xs)
            return Leaves(self, [fn(a, b) for a, b in zip(xs, ys)], True)
        return fn(x, y)

    # -- scalars in the group's dtype ----------------------------------------------------------------------------------
    def cast(self, value):
        """`ops.cast(value, dtype)` of a number or a 0-d tensor (the learning rate, a beta)."""
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

"""The optimizers' list math (fitspec.optimizers.leaves) as multi-tensor `torch._foreach_*` ops.

The core's `Group` applies each op of an update once per variable, a dozen small torch ops per variable; here each
op covers every variable of a (device, dtype) group in one foreach op, which applies the same op to each tensor: the
result is the core's, bit for bit on CPU. An op on an intermediate result overwrites it (`_foreach_*_`), as the
list math's use-once rule allows. Scalars (the learning rate, Adam's bias corrections) are numpy scalars in the
group's dtype for CPU float32 / float64 groups, which foreach ops take at their exact value, with torch's sqrt (in
float32 and float64 it is not numpy's); DeviceScalars (0-d tensors on the group's device) otherwise, so a GPU step
never waits for the host and torch.compile neither specialises on them nor breaks its graph at them. Inside a
StatelessScope (`stateless_apply`), or for gradients that are not tensors, the core's `Group` runs instead.
"""

from __future__ import annotations

import numpy as np
import torch

from fitspec.optimizers.leaves import BINARY as BINARY_OPS
from fitspec.optimizers.leaves import Group, Leaves, VariableLeaves
from fitspec.variables import current_scope
from fitspec_torch import ops as torch_ops

HOST = {torch.float32: np.float32, torch.float64: np.float64}
#: foreach kernels of the binary ops (fitspec.optimizers.leaves.BINARY) and functions: a new list, and in place
NEW = {"add": torch._foreach_add, "sub": torch._foreach_sub, "mul": torch._foreach_mul, "div": torch._foreach_div,
       "maximum": torch._foreach_maximum, "minimum": torch._foreach_minimum, "sqrt": torch._foreach_sqrt,
       "abs": torch._foreach_abs, "sign": torch._foreach_sign, "negative": torch._foreach_neg,
       "square": lambda xs: torch._foreach_mul(xs, xs)}
IN_PLACE = {"add": torch._foreach_add_, "sub": torch._foreach_sub_, "mul": torch._foreach_mul_,
            "div": torch._foreach_div_, "maximum": torch._foreach_maximum_, "minimum": torch._foreach_minimum_,
            "sqrt": torch._foreach_sqrt_, "abs": torch._foreach_abs_, "sign": torch._foreach_sign_,
            "negative": torch._foreach_neg_, "square": lambda xs: torch._foreach_mul_(xs, xs)}
WRITES = {"assign": torch._foreach_copy_, "assign_add": torch._foreach_add_, "assign_sub": torch._foreach_sub_}
COMMUTATIVE = ("add", "mul", "maximum", "minimum")
CPU = torch.device("cpu")
#: how many coming steps a table of bias corrections holds
TABLE_STEPS = 256


class ForeachGroup(Group):
    """The variables of one (device, dtype), updated with one foreach op per op of the formula."""

    #: (host dtype, decay) -> {step: 1 - decay^step} for the coming steps (`bias_correction`)
    _corrections: dict = {}
    #: (host dtype, value) -> torch's sqrt of value, for the values in `_corrections` (Adam takes their roots)
    _roots: dict = {}

    def __init__(self, ops, dtype, indices, device: torch.device, torch_dtype: torch.dtype, compiling=False):
        self.ops, self.dtype, self.indices = ops, dtype, indices  # Group's attributes, set here: made every step
        self.device, self.torch_dtype = device, torch_dtype
        # Under torch.compile the scalars stay tensors: host numbers would be specialised on, step by step.
        self.host = HOST.get(torch_dtype) if device.type == "cpu" and not compiling else None

    # -- forming groups ------------------------------------------------------------------------------------------
    @classmethod
    def update(cls, optimizer, gradients, variables, step) -> None:
        if current_scope() is not None:  # writes are recorded in the scope: the core's groups
            return Group.update(optimizer, gradients, variables, step)
        if not torch.is_grad_enabled():  # a train step's update already runs without autograd
            return super().update(optimizer, gradients, variables, step)
        with torch.no_grad():
            return super().update(optimizer, gradients, variables, step)

    @classmethod
    def split(cls, optimizer, gradients, variables):
        groups = _groups(gradients, variables)
        if groups is None:  # a gradient that is not a tensor: the core's groups convert it
            return list(Group.split(optimizer, gradients, variables))
        compiling, index = torch.compiler.is_compiling(), optimizer._trainable_variables_indices
        split = []
        for (device, dtype), (group_gradients, group_variables, params) in groups.items():
            group = cls(optimizer.ops, torch_ops.DTYPE_NAMES[dtype], [index[id(v)] for v in group_variables], device,
                        dtype, compiling)
            split.append((group, Leaves(group, group_gradients), VariableLeaves(group, group_variables, params)))
        return split

    # -- reading and writing variables: their Parameters, in place (so a read holds for the whole update) ----------
    def read(self, variables):
        return [v._storage for v in variables]

    def slots(self, slot_variables):
        variables = [slot_variables[i] for i in self.indices]
        return VariableLeaves(self, variables, self.read(variables))

    def write(self, kind, target, value):
        storages = target._tensors
        if isinstance(value, Leaves):
            WRITES[kind](storages, value._tensors)
            return
        value = value.tensor if isinstance(value, DeviceScalar) else value
        if kind == "assign":
            for storage in storages:
                storage.fill_(value)
        else:
            WRITES[kind](storages, value)

    # -- elementwise ops: one foreach op each, in place on an intermediate result ------------------------------------
    # An intermediate result is used once: the core's Group enforces it on every backend (each formula runs there in
    # the conformance suite), and this mapping relies on it: an op overwrites an intermediate and returns it.
    def binary(self, name, x, y):
        """A scalar operand is a Python number, a numpy scalar of the host (which foreach ops take as its exact
        value) or a 0-d tensor."""
        if isinstance(y, Leaves):
            if y.intermediate and not x.intermediate and name in COMMUTATIVE:
                x, y = y, x  # computed in place on the intermediate
            y = y._tensors
        elif isinstance(y, DeviceScalar):
            if name == "sub":  # foreach has no `sub` of a tensor: x + (-y), exactly
                return self.binary("add", x, -y)
            y = y.tensor
        if x.intermediate:
            IN_PLACE[name](x._tensors, y)
            return x
        return Leaves(self, NEW[name](x._tensors, y), True)

    def scalar_first(self, name, s, y):
        if name in COMMUTATIVE:  # s + y = y + s, s y = y s, exactly
            return self.binary(name, y, s)
        if name == "sub":  # s - y = (-y) + s, exactly
            return self.binary("add", self.unary("negative", y), s)
        s = s.tensor if isinstance(s, DeviceScalar) else s
        return Leaves(self, [s / t for t in y._tensors], True)

    def unary(self, name, x):
        if isinstance(x, Leaves):
            if x.intermediate:
                IN_PLACE[name](x._tensors)
                return x
            return Leaves(self, NEW[name](x._tensors), True)
        if self.host is None:
            return DeviceScalar(getattr(torch, "neg" if name == "negative" else name)(x.tensor))
        if name == "sqrt":
            return self._host_sqrt(x)
        return super().unary(name, x)

    def pow(self, x, exponent):
        """A Python exponent, as the core's `ops.power(tensor, exponent)` takes it (torch's scalar kernel)."""
        if x.intermediate:
            torch._foreach_pow_(x._tensors, exponent)
            return x
        return Leaves(self, torch._foreach_pow(x._tensors, exponent), True)

    def pairwise(self, name, x, y):
        if not isinstance(x, Leaves) and not isinstance(y, Leaves):  # two scalars (a warmup factor)
            if self.host is None:
                return DeviceScalar(getattr(torch, name)(x.tensor, y.tensor))
            return getattr(np, name)(x, y)  # numpy scalars of the host, as `cast` makes them
        if isinstance(x, Leaves) and (isinstance(y, Leaves) or self.host is not None):
            return self.binary(name, x, y)
        if isinstance(y, Leaves) and self.host is not None:  # max(s, y) = max(y, s)
            return self.binary(name, y, x)
        if self.host is None:  # tensors, each a variable's or a DeviceScalar's
            xs = x._tensors if isinstance(x, Leaves) else [x.tensor] * len(y)
            ys = y._tensors if isinstance(y, Leaves) else [y.tensor] * len(xs)
            return Leaves(self, [getattr(torch, name)(a, b) for a, b in zip(xs, ys)], True)
        return super().pairwise(name, x, y)

    # -- scalars ------------------------------------------------------------------------------------------------------
    def cast(self, value):
        if self.host is None:
            value = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
            return DeviceScalar(value.to(device=self.device, dtype=self.torch_dtype))
        return self.host(value.item() if isinstance(value, torch.Tensor) else value)

    def local_step(self, iterations):
        if self.host is None:
            return super().local_step(iterations)
        return self.host(getattr(iterations, "_storage", iterations).item() + 1)  # a tensor when accumulating

    def power(self, base, exponent):
        return base**exponent if self.host is not None else DeviceScalar(torch.pow(base.tensor, exponent.tensor))

    def bias_correction(self, decay, step):
        """The core's 1 - decay^step, looked up in a table of the coming steps made in one go (with the roots, taken
        by one torch op: its CPU sqrt gives each element of a tensor what it gives a 0-d tensor of that element)."""
        if self.host is None:
            return super().bias_correction(decay, step)
        key = (self.host, decay)
        table = self._corrections.get(key)
        if table is None or step not in table:
            steps = [step + k for k in range(TABLE_STEPS)]
            table = self._corrections[key] = {t: Group.bias_correction(self, decay, t) for t in steps}
            values = list(table.values())
            roots = torch.sqrt(torch.tensor([float(v) for v in values], dtype=self.torch_dtype)).tolist()
            if len(self._roots) > 16 * TABLE_STEPS:
                self._roots.clear()
            self._roots.update({(self.host, v): self.host(r) for v, r in zip(values, roots)})
        return table[step]

    def _host_sqrt(self, x):
        root = self._roots.get((self.host, x))
        if root is None:  # torch.full makes the 0-d tensor in one op (torch.tensor of a numpy scalar takes four)
            root = self.host(torch.full((), float(x), dtype=self.torch_dtype).sqrt_().item())
        return root


def _scalar_operator(name: str) -> tuple:
    """DeviceScalar's pair (x op y, y op x) of the binary op `name`, both through _scalar_op."""
    return (lambda x, y: _scalar_op(name, x, y)), (lambda x, y: _scalar_op(name, y, x))


class DeviceScalar:
    """A group's scalar off the host (on a GPU, in a torch.compile trace): a 0-d tensor on its device, in its dtype,
    with the tensor's arithmetic. Wrapped so that `m * alpha` reaches the Leaves' own operator when torch.compile
    traces it: an operator between a tensor and another object breaks the graph there."""

    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor

    __add__, __radd__ = _scalar_operator("add")
    __sub__, __rsub__ = _scalar_operator("sub")
    __mul__, __rmul__ = _scalar_operator("mul")
    __truediv__, __rtruediv__ = _scalar_operator("div")

    def __neg__(self):
        return DeviceScalar(-self.tensor)


def _scalar_op(name, x, y):
    if isinstance(y, Leaves):  # a scalar first, as Leaves' reflected operators take it
        return y.group.scalar_first(name, x, y)
    x = x.tensor if isinstance(x, DeviceScalar) else x
    y = y.tensor if isinstance(y, DeviceScalar) else y
    return DeviceScalar(BINARY_OPS[name](x, y))


def _groups(gradients, variables) -> dict | None:
    """{(device, dtype): (gradients, variables, their Parameters)}, each gradient cast to its variable's dtype and
    device; None where a gradient is not a tensor (the core's groups convert it)."""
    params, dtype, one_cpu_group = [], variables[0]._storage.dtype, True
    for g, v in zip(gradients, variables):
        param = v._storage
        params.append(param)
        # the common case, one CPU group whose gradients are already in place, told without torch.device objects
        one_cpu_group = one_cpu_group and param.is_cpu and param.dtype is dtype and isinstance(g, torch.Tensor) and (
            g.is_cpu and g.dtype is dtype)
    if one_cpu_group:
        return {(CPU, dtype): (gradients, variables, params)}
    groups: dict = {}
    for g, v, param in zip(gradients, variables, params):
        if not isinstance(g, torch.Tensor):
            return None
        key = (param.device, param.dtype)
        if g.dtype is not key[1] or g.device != key[0]:
            g = g.to(device=key[0], dtype=key[1])
        group = groups.get(key)
        if group is None:
            group = groups[key] = ([], [], [])
        group[0].append(g)
        group[1].append(v)
        group[2].append(param)
    return groups

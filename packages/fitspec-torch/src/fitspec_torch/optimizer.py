"""The optimizers' list math (fitspec.optimizers.leaves) as multi-tensor `torch._foreach_*` ops.

The core's `Group` applies each op of an update once per variable, a dozen small torch ops per variable; here each
op covers every variable of a (device, dtype) group in one foreach op, which applies the same op to each tensor: the
result is the core's, bit for bit on CPU. Scalars (the learning rate, Adam's bias corrections) are numpy scalars in
the group's dtype for CPU float32 / float64 groups, passed to the foreach ops as Python floats, with torch's sqrt (in
float32 and float64 it is not numpy's); 0-d tensors on the group's device otherwise, so a GPU step never waits for
the host and torch.compile does not specialise on them. Inside a StatelessScope (`stateless_apply`), or for gradients
that are not tensors of their variable's dtype and device, the core's `Group` runs instead.
"""

from __future__ import annotations

import numpy as np
import torch

from fitspec.optimizers.leaves import Group, Leaves, VariableLeaves
from fitspec.variables import current_scope
from fitspec_torch import ops as torch_ops

HOST = {torch.float32: np.float32, torch.float64: np.float64}
#: foreach kernels of the binary ops (fitspec.optimizers.leaves.BINARY) and of the unary functions
BINARY = {"add": torch._foreach_add, "sub": torch._foreach_sub, "mul": torch._foreach_mul, "div": torch._foreach_div}
UNARY = {"sqrt": torch._foreach_sqrt, "abs": torch._foreach_abs, "sign": torch._foreach_sign,
         "negative": torch._foreach_neg, "square": lambda xs: torch._foreach_mul(xs, xs)}
WRITES = {"assign": torch._foreach_copy_, "assign_add": torch._foreach_add_, "assign_sub": torch._foreach_sub_}
#: how many coming steps a table of bias corrections holds
TABLE_STEPS = 256


class ForeachGroup(Group):
    """The variables of one (device, dtype), updated with one foreach op per op of the formula."""

    #: (host dtype, decay) -> {step: 1 - decay^step} for the coming steps (`bias_correction`)
    _corrections: dict = {}
    #: (host dtype, value) -> torch's sqrt of value, for the values in `_corrections` (Adam takes their roots)
    _roots: dict = {}

    def __init__(self, ops, dtype, indices, device: torch.device, torch_dtype: torch.dtype):
        super().__init__(ops, dtype, indices)
        self.device, self.torch_dtype = device, torch_dtype
        # Under torch.compile the scalars stay tensors: Python floats would be specialised on, step by step.
        on_host = device.type == "cpu" and not torch.compiler.is_compiling()
        self.host = HOST.get(torch_dtype) if on_host else None

    # -- forming groups ------------------------------------------------------------------------------------------
    @classmethod
    def update(cls, optimizer, gradients, variables, step) -> None:
        if current_scope() is not None or not _fusable(gradients, variables):
            return Group.update(optimizer, gradients, variables, step)
        if not torch.is_grad_enabled():  # a train step's update already runs without autograd
            return super().update(optimizer, gradients, variables, step)
        with torch.no_grad():
            return super().update(optimizer, gradients, variables, step)

    @classmethod
    def split(cls, optimizer, gradients, variables):
        groups: dict = {}
        for g, v in zip(gradients, variables):
            param = v._storage
            pairs = groups.get((param.device, param.dtype))
            if pairs is None:
                pairs = groups[(param.device, param.dtype)] = ([], [])
            pairs[0].append(g)
            pairs[1].append(v)
        for (device, dtype), (group_gradients, group_variables) in groups.items():
            indices = [optimizer._get_variable_index(v) for v in group_variables]
            group = cls(optimizer.ops, torch_ops.DTYPE_NAMES[dtype], indices, device, dtype)
            yield group, Leaves(group, group_gradients), VariableLeaves(group, group_variables)

    # -- reading and writing variables: their Parameters, in place ---------------------------------------------------
    def read(self, variables):
        return [v._storage for v in variables]

    def write(self, kind, variables, value):
        storages = self.read(variables)
        if isinstance(value, Leaves):
            WRITES[kind](storages, value.tensors)
        elif kind == "assign":
            for storage in storages:
                storage.fill_(self._arg(value))
        else:
            WRITES[kind](storages, self._arg(value))

    # -- elementwise ops: one foreach op each ----------------------------------------------------------------------
    def binary(self, name, x, y):
        if isinstance(x, Leaves):
            if isinstance(y, Leaves):
                return Leaves(self, BINARY[name](x.tensors, y.tensors))
            y = self._arg(y)
            if name == "sub" and isinstance(y, torch.Tensor):  # no foreach `sub` of a tensor scalar: x + (-1) y
                return Leaves(self, torch._foreach_add(x.tensors, y, alpha=-1))
            return Leaves(self, BINARY[name](x.tensors, y))
        x = self._arg(x)
        if name in ("add", "mul"):  # s + y = y + s and s y = y s, exactly
            return self.binary(name, y, x)
        if name == "sub":  # s - y = (-y) + s, exactly
            return Leaves(self, torch._foreach_add(torch._foreach_neg(y.tensors), x))
        return Leaves(self, [x / t for t in y.tensors])

    def unary(self, name, x):
        if isinstance(x, Leaves):
            return Leaves(self, UNARY[name](x.tensors))
        if name == "sqrt" and self.host is not None:
            return self._host_sqrt(x)
        return super().unary(name, x)

    def _pairwise(self, name, x, y):
        if isinstance(x, Leaves) and (isinstance(y, Leaves) or self.host is not None):
            kernel = torch._foreach_maximum if name == "maximum" else torch._foreach_minimum
            return Leaves(self, kernel(x.tensors, y.tensors if isinstance(y, Leaves) else self._arg(y)))
        return super()._pairwise(name, x, y)

    # -- scalars ------------------------------------------------------------------------------------------------------
    def cast(self, value):
        if self.host is None:
            value = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
            return value.to(device=self.device, dtype=self.torch_dtype)
        return self.host(value.item() if isinstance(value, torch.Tensor) else value)

    def local_step(self, iterations):
        if self.host is None:
            return super().local_step(iterations)
        return self.host(iterations._storage.item() + 1)

    def power(self, base, exponent):
        return base**exponent if self.host is not None else torch.pow(base, exponent)

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

    @staticmethod
    def _arg(x):
        """A scalar for a foreach op: a Python float (exactly the dtype's value) or the 0-d tensor."""
        return float(x) if isinstance(x, np.generic) else x


def _fusable(gradients, variables) -> bool:
    """Whether every gradient is a tensor of its variable's dtype and device (as a train step's are)."""
    for g, v in zip(gradients, variables):
        param = v._storage
        if not isinstance(g, torch.Tensor) or g.dtype != param.dtype or g.device != param.device:
            return False
    return True

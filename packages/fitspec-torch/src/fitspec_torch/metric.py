"""A Mean metric's state arithmetic (fitspec.metrics.MeanState) in torch's own calls, with the core's numbers.

The cast and the sum are the tensor methods fs.ops would reach after its checks; total += value and count += n go
straight into the Parameters, where the core goes through `Variable.assign_add` and its checks; total / count reads
a CPU count on the host instead of dividing under divide_no_nan's `where`. Inside a stateless scope, under
torch.compile, or for values that are not tensors or are on another device, the core's arithmetic runs.
"""

from __future__ import annotations

import torch

from fitspec.metrics import MeanState
from fitspec.variables import current_scope
from fitspec_torch import ops as torch_ops


class TorchMeanState(MeanState):
    """`Backend.mean_state` of fitspec_torch."""

    @staticmethod
    def cast(ops, values, dtype):
        if isinstance(values, torch.Tensor) and values.dtype is torch_ops.DTYPES.get(dtype):
            return values
        return MeanState.cast(ops, values, dtype)

    @staticmethod
    def sum(ops, values):
        return torch.sum(values) if isinstance(values, torch.Tensor) else MeanState.sum(ops, values)

    @staticmethod
    def add(total, count, value, n) -> None:
        if current_scope() is not None or not isinstance(value, torch.Tensor):
            return MeanState.add(total, count, value, n)
        storage = total._storage
        if not (value.is_cpu and storage.is_cpu or value.device == storage.device):
            return MeanState.add(total, count, value, n)
        if value.requires_grad and torch.is_grad_enabled():
            value = value.detach()  # the totals stay out of autograd: no torch.no_grad() needed
        storage.add_(value)
        count._storage.add_(n.detach() if isinstance(n, torch.Tensor) else n)
        return None

    @staticmethod
    def ratio(ops, total, count):
        count_storage = count._storage
        if count_storage.is_cpu and current_scope() is None and not torch.compiler.is_compiling():
            total_storage = total._storage
            return total_storage / count_storage if count_storage.item() != 0 else torch.zeros_like(total_storage)
        return MeanState.ratio(ops, total, count)

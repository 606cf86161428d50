"""A fast path for the loss reduction of every training step, with the core's numbers.

The core reduces per-sample losses with `sum_over_batch_size` as sum(values) / n, n cast to a
tensor (fitspec.reduction): a sum, a tensor creation, a host read of n and a division, and two
autograd nodes. On CPU, for float32 and float64, `torch.mean` is computed as exactly that sum
followed by a division by n (ATen's CPU `mean` is `sum_out(...).div_(n)`), so an unweighted
reduction takes one op and one autograd node here. Anything else (sample weights, other
reductions, half precision, which `torch.mean` accumulates differently, GPU tensors, a
`torch.compile` trace) runs the core's code.
"""

from __future__ import annotations

import torch

from fitspec import losses as core_losses
from fitspec_torch import ops as torch_ops

#: reductions that divide the sum by the number of values when there is no sample_weight
_MEAN_REDUCTIONS = frozenset({"sum_over_batch_size", "mean", "mean_with_sample_weight"})
_MEAN_DTYPES = frozenset({torch.float32, torch.float64})


class FastLoss(core_losses.Loss):
    """Placed just above the core's Loss in a bound loss's MRO (see `fast_classes`)."""

    def _reduce(self, values, sample_weight):
        if (sample_weight is None and isinstance(values, torch.Tensor) and values.is_cpu
                and values.dtype in _MEAN_DTYPES and self.reduction in _MEAN_REDUCTIONS
                and values.ndim >= 1 and values.numel() > 0
                and values.dtype == torch_ops.to_torch_dtype(self.dtype) and not torch.compiler.is_compiling()):
            return torch.mean(values)
        return super()._reduce(values, sample_weight)


def fast_classes(bound_losses) -> dict:
    """{name: class} for every loss class of the namespace `bound_losses` (fs.losses) but the base `Loss` (which
    every loss must stay an instance of), with FastLoss just above the core's Loss in its MRO."""
    out = {}
    for name in ["LossFunctionWrapper", *core_losses.CLASSES]:
        bound = getattr(bound_losses, name)
        out[name] = type(name, (bound, FastLoss), {"__module__": bound.__module__, "__qualname__": name})
    return out

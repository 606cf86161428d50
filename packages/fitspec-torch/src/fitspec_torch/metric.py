"""A fast path for the streaming means (Mean and every metric built on it), with the core's numbers.

The core's `Mean.update_state` goes through `reduce_to_samplewise_values`, a dozen small ops, to
cover every shape of values and weights. The two cases of every training step take a few torch
ops here, with the same arithmetic in the same order (docs/SPEC.md, "Metrics"):
  - values without sample_weight:  total += sum(mean(values over axes > 0));  count += len(values)
  - a scalar value with a Python int weight w (the loss tracker's batch size):
                                   total += value * w;  count += w
Anything else (tensor weights, a stateless scope, numpy values) runs the core's code.
`result()` = total / count, or 0 when count is 0; on CPU without the `where` of divide_no_nan.
"""

from __future__ import annotations

import numbers

import torch

from fitspec import metrics as core_metrics
from fitspec.variables import current_scope
from fitspec_torch import ops as torch_ops


class FastMean(core_metrics.Mean):
    """Placed just above the core's Mean in a bound metric's MRO (see `fast_classes`)."""

    def update_state(self, values, sample_weight=None):
        if not isinstance(values, torch.Tensor) or current_scope() is not None:
            return super().update_state(values, sample_weight=sample_weight)
        # Outside a stateless scope a Variable's value is its storage: read it directly.
        total, count = self.total._storage, self.count._storage
        plain = sample_weight is None
        if not (plain or values.ndim == 0 and _is_int(sample_weight)) or not (
                (values.is_cpu and total.is_cpu) or values.device == total.device):
            return super().update_state(values, sample_weight=sample_weight)
        if values.requires_grad and torch.is_grad_enabled():
            values = values.detach()  # the totals stay out of autograd: no torch.no_grad() needed
        dtype = torch_ops.to_torch_dtype(self.dtype)
        if values.dtype != dtype:
            values = values.to(dtype)
        if plain:  # total += sum(mean(values over axes > 0));  count += len(values)
            if values.ndim > 1:
                values = torch.mean(values, dim=tuple(range(1, values.ndim)))
            total.add_(torch.sum(values))
            count.add_(values.shape[0] if values.ndim >= 1 else 1)
        else:  # total += value * w;  count += w
            total.add_(values * sample_weight)
            count.add_(sample_weight)

    def result(self):
        count = self.count._storage
        if count.is_cpu and current_scope() is None and not torch.compiler.is_compiling():
            total = self.total._storage
            return total / count if count.item() != 0 else torch.zeros_like(total)
        return super().result()


def _is_int(weight) -> bool:
    return type(weight) is int or isinstance(weight, numbers.Integral) and not isinstance(weight, bool)


def fast_classes(bound_metrics) -> dict:
    """{name: class} for every Mean-based metric of the namespace `bound_metrics` (fs.metrics), with FastMean
    just above the core's Mean in its MRO."""
    out = {}
    for name in [*core_metrics.CLASSES, "MeanMetricWrapper"]:
        bound = getattr(bound_metrics, name)
        if issubclass(bound, core_metrics.Mean):
            out[name] = type(name, (bound, FastMean), {"__module__": bound.__module__, "__qualname__": name})
    return out

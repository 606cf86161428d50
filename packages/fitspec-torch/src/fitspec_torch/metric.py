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
        if current_scope() is None and isinstance(values, torch.Tensor):
            # Outside a stateless scope a Variable's value is its storage: read it directly.
            total, count = self.total._storage, self.count._storage
            if (values.is_cpu and total.is_cpu) or values.device == total.device:
                if sample_weight is None:
                    return self._add_plain(values, total, count)
                if values.ndim == 0 and (type(sample_weight) is int or isinstance(sample_weight, numbers.Integral)
                                         and not isinstance(sample_weight, bool)):
                    return self._add_weighted(values, sample_weight, total, count)
        return super().update_state(values, sample_weight=sample_weight)

    def _values(self, values):
        """Out of autograd (so the totals are: no `torch.no_grad()` needed), in the metric's dtype."""
        if values.requires_grad and torch.is_grad_enabled():
            values = values.detach()
        dtype = torch_ops.to_torch_dtype(self.dtype)
        return values if values.dtype == dtype else values.to(dtype)

    def _add_plain(self, values, total, count) -> None:
        values = self._values(values)
        if values.ndim > 1:
            values = torch.mean(values, dim=tuple(range(1, values.ndim)))
        total.add_(torch.sum(values))
        count.add_(values.shape[0] if values.ndim >= 1 else 1)

    def _add_weighted(self, values, weight: int, total, count) -> None:
        total.add_(self._values(values) * weight)
        count.add_(weight)

    def result(self):
        total, count = self.total._storage, self.count._storage
        if count.is_cpu and current_scope() is None and not torch.compiler.is_compiling():
            return total / count if count.item() != 0 else torch.zeros_like(total)
        return super().result()


def fast_classes(bound_metrics) -> dict:
    """{name: class} for every Mean-based metric of the namespace `bound_metrics` (fs.metrics), with FastMean
    just above the core's Mean in its MRO."""
    out = {}
    for name in [*core_metrics.CLASSES, "MeanMetricWrapper"]:
        bound = getattr(bound_metrics, name)
        if issubclass(bound, core_metrics.Mean):
            out[name] = type(name, (bound, FastMean), {"__module__": bound.__module__, "__qualname__": name})
    return out

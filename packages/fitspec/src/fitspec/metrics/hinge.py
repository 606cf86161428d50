"""Hinge metrics: weighted means of the hinge losses per sample."""

from __future__ import annotations

from fitspec import losses
from fitspec.metrics.reduction import MeanMetricWrapper, _with_ops


class Hinge(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(_with_ops(losses.hinge, self.ops), name=name, dtype=dtype)

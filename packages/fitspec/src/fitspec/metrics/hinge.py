"""Hinge metrics: weighted means of the hinge losses per sample."""

from __future__ import annotations

from fitspec import losses
from fitspec.metrics.reduction import MeanMetricWrapper, _with_ops


class Hinge(MeanMetricWrapper):
    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(_with_ops(losses.hinge, self.ops), name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The weighted mean of losses.squared_hinge."""

    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_with_ops(losses.squared_hinge, self.ops), name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The weighted mean of losses.categorical_hinge."""

    targets = "like_predictions"
    direction = "down"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_with_ops(losses.categorical_hinge, self.ops), name=name, dtype=dtype)

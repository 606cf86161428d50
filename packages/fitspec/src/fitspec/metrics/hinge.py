"""Hinge metrics: weighted means of the hinge losses per sample."""

from __future__ import annotations

from fitspec import losses
from fitspec.metrics.reduction import LossMean


class Hinge(LossMean, function=losses.hinge):
    """The weighted mean of losses.hinge."""


class SquaredHinge(LossMean, function=losses.squared_hinge):
    """The weighted mean of losses.squared_hinge."""


class CategoricalHinge(LossMean, function=losses.categorical_hinge):
    """The weighted mean of losses.categorical_hinge."""

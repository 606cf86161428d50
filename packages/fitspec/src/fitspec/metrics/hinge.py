"""Hinge metrics: weighted means of the hinge losses per sample."""

from __future__ import annotations

from fitspec import losses
from fitspec.metrics.reduction import PerSampleMean


class Hinge(PerSampleMean):
    function, default_name = staticmethod(losses.hinge), "hinge"
    targets, direction = "like_predictions", "down"


class SquaredHinge(PerSampleMean):
    """The weighted mean of losses.squared_hinge."""

    function, default_name = staticmethod(losses.squared_hinge), "squared_hinge"
    targets, direction = "like_predictions", "down"


class CategoricalHinge(PerSampleMean):
    """The weighted mean of losses.categorical_hinge."""

    function, default_name = staticmethod(losses.categorical_hinge), "categorical_hinge"
    targets, direction = "like_predictions", "down"

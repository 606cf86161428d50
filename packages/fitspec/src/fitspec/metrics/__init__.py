"""Metrics: streaming state in Variables, updated by `update_state` and read by `result`, one module per family."""

from fitspec.metrics.base import Metric
from fitspec.metrics.reduction import Mean, MeanMetricWrapper, MeanState, Sum
from fitspec.metrics.registry import *  # noqa: F403 (every metric class and function, and the name tables)
from fitspec.metrics.registry import CLASSES, FUNCTIONS, NAMES

__all__ = ["CLASSES", "FUNCTIONS", "NAMES", "Mean", "MeanMetricWrapper", "MeanState", "Metric", "Sum",
           *CLASSES, *(f.__name__ for f in FUNCTIONS.values() if f.__module__.startswith("fitspec.metrics"))]

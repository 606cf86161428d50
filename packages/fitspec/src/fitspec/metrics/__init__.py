"""Metrics: streaming state in Variables, updated by `update_state` and read by `result`, one module per family."""

from fitspec.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
)
from fitspec.metrics.base import Metric
from fitspec.metrics.confusion import AUC, Precision, Recall
from fitspec.metrics.reduction import Mean, MeanMetricWrapper, MeanState, Sum
from fitspec.metrics.registry import CLASSES, FUNCTIONS, NAMES
from fitspec.metrics.regression import (
    CosineSimilarity,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    RootMeanSquaredError,
    cosine_similarity,
)

__all__ = ["AUC", "CLASSES", "FUNCTIONS", "NAMES", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "CosineSimilarity", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper",
           "MeanSquaredError", "MeanState", "Metric", "Precision", "Recall", "RootMeanSquaredError",
           "SparseCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "accuracy", "binary_accuracy",
           "categorical_accuracy", "cosine_similarity", "sparse_categorical_accuracy", "top_k_categorical_accuracy"]

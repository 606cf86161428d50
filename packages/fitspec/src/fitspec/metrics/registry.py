"""The metric names: classes by name, the strings compile() accepts, the per-sample functions."""

from __future__ import annotations

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
from fitspec.metrics.confusion import AUC, Precision, Recall
from fitspec.metrics.reduction import Mean, Sum
from fitspec.metrics.regression import (
    CosineSimilarity,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    RootMeanSquaredError,
    cosine_similarity,
)

CLASSES = {
    cls.__name__: cls
    for cls in (
        Mean, Sum, MeanSquaredError, MeanAbsoluteError, Accuracy, BinaryAccuracy,
        CategoricalAccuracy, SparseCategoricalAccuracy, MeanAbsolutePercentageError, CosineSimilarity,
        TopKCategoricalAccuracy, RootMeanSquaredError, Precision, Recall, AUC,
    )
}
#: metric names accepted in compile(metrics=[...]) -> class name.
NAMES = {
    "mape": "MeanAbsolutePercentageError", "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "cosine_similarity": "CosineSimilarity", "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "root_mean_squared_error": "RootMeanSquaredError", "precision": "Precision", "recall": "Recall", "auc": "AUC",
    "mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
    "mae": "MeanAbsoluteError", "mean_absolute_error": "MeanAbsoluteError",
    "binary_accuracy": "BinaryAccuracy", "categorical_accuracy": "CategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy",
}
FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                     top_k_categorical_accuracy, cosine_similarity)}

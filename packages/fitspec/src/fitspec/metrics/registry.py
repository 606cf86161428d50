"""The metric names: classes by name, the strings compile() accepts, the per-sample functions."""

from __future__ import annotations

from fitspec import losses
from fitspec.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from fitspec.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from fitspec.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from fitspec.metrics.f_score import F1Score, FBetaScore
from fitspec.metrics.hinge import CategoricalHinge, Hinge, SquaredHinge
from fitspec.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from fitspec.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from fitspec.metrics.reduction import Mean, Sum
from fitspec.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
)
from fitspec.naming import to_snake_case

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

# -- the breadth issue's metrics (issue 16) ------------------------------------------------------------------------
CLASSES.update({cls.__name__: cls for cls in (
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, PrecisionAtRecall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, F1Score, FBetaScore, R2Score, PearsonCorrelation,
    ConcordanceCorrelation, IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU, SparseTopKCategoricalAccuracy,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    LogCoshError, MeanSquaredLogarithmicError, SquaredHinge, CategoricalHinge,
)})
#: Keras's names: each class by its snake_case name, and the short aliases
for _name in CLASSES:
    NAMES.setdefault(to_snake_case(_name), _name)
NAMES.update({"bce": "BinaryCrossentropy", "BCE": "BinaryCrossentropy", "MSE": "MeanSquaredError",
              "MAE": "MeanAbsoluteError", "MAPE": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError",
              "MSLE": "MeanSquaredLogarithmicError", "sum": "Sum", "mean": "Mean"})
FUNCTIONS.update({f.__name__: f for f in (sparse_top_k_categorical_accuracy, pearson_correlation,
                                          concordance_correlation)})
#: the loss functions Keras also exports from keras.metrics (those fitspec.losses has)
LOSS_FUNCTIONS = ("binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
                  "categorical_focal_crossentropy", "categorical_hinge", "hinge", "huber", "kl_divergence",
                  "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
                  "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy", "squared_hinge")
FUNCTIONS.update({name: losses.FUNCTIONS[name] for name in LOSS_FUNCTIONS if name in losses.FUNCTIONS})

__all__ = ["CLASSES", "FUNCTIONS", "LOSS_FUNCTIONS", "NAMES", *CLASSES,
           *(name for name, f in FUNCTIONS.items() if f.__module__.startswith("fitspec.metrics"))]

"""Crosscheck area `metrics` (docs/SPEC.md 6.3-6.10): every metric option against Keras's metric on the same batches."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import ATOL, RTOL, verdict
from fitspec.metrics import registry as fs_names
from fitspec.metrics.lookup import plain_value

# -- issue 16: every metric option against Keras's metric on the same batches -------------------------------------
#: (class name, kwargs, data kind): each fed the same three batches, with and without sample weights
DIRECT_METRICS = [
    *((cls, kwargs, kind) for cls in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives")
      for kwargs in ({}, {"thresholds": [0.0, 0.5, 1.0]}, {"thresholds": [0.3, 0.7]}, {"thresholds": 0.25})
      for kind in ("binary", "multilabel")),
    *((cls, kwargs, kind) for cls in ("Precision", "Recall")
      for kwargs, kind in (({}, "binary"), ({"thresholds": [0.2, 0.5, 0.8]}, "binary"),
                           ({"thresholds": [0.0, 0.5, 1.0]}, "multilabel"), ({"top_k": 2}, "multilabel"),
                           ({"class_id": 1}, "multilabel"), ({"top_k": 2, "class_id": 2}, "multilabel"),
                           ({"top_k": 1, "thresholds": [0.3, 0.6]}, "multilabel"), ({"thresholds": [0.4]}, "binary"))),
    *(("AUC", kwargs, kind) for kwargs, kind in (
        ({}, "binary"), ({"curve": "PR"}, "binary"), ({"curve": "PRGAIN"}, "binary"),
        ({"summation_method": "minoring"}, "binary"), ({"summation_method": "majoring"}, "binary"),
        ({"curve": "PR", "summation_method": "minoring"}, "binary"),
        ({"curve": "PR", "summation_method": "majoring"}, "binary"), ({"num_thresholds": 7}, "binary"),
        ({"thresholds": [0.1, 0.5, 0.9]}, "binary"), ({"thresholds": [0.25, 0.5, 0.75]}, "binary"),
        ({"curve": "PR", "thresholds": [0.3, 0.6]}, "binary"), ({}, "multilabel"),
        ({"multi_label": True}, "multilabel"), ({"multi_label": True, "num_labels": 3}, "multilabel"),
        ({"multi_label": True, "label_weights": [0.2, 1.0, 3.0]}, "multilabel"),
        ({"multi_label": True, "curve": "PR", "label_weights": [0.2, 1.0, 3.0]}, "multilabel"),
        ({"label_weights": [0.2, 1.0, 3.0]}, "multilabel"), ({"from_logits": True}, "binary_logits"),
        ({"from_logits": True, "curve": "PR", "multi_label": True}, "multilabel_logits"),
        ({}, "binary_outside"), ({"thresholds": [0.2, 0.7]}, "binary_outside"))),
    *((cls, {arg: value, **extra}, kind)
      for cls, arg in (("PrecisionAtRecall", "recall"), ("RecallAtPrecision", "precision"),
                       ("SensitivityAtSpecificity", "specificity"), ("SpecificityAtSensitivity", "sensitivity"))
      for value, extra, kind in ((0.5, {}, "binary"), (0.8, {"num_thresholds": 1}, "binary"),
                                 (0.7, {"num_thresholds": 50}, "binary"), (0.6, {"class_id": 1}, "multilabel"))),
    *((cls, {"average": average, **extra}, kind) for cls in ("F1Score", "FBetaScore")
      for average in (None, "micro", "macro", "weighted")
      for extra, kind in (({}, "onehot"), ({"threshold": 0.4}, "multilabel"))),
    *(("FBetaScore", {"beta": beta, "average": "macro", "threshold": 0.5}, "multilabel") for beta in (0.5, 2.0)),
    *(("R2Score", {"class_aggregation": aggregation, "num_regressors": k}, "regression")
      for aggregation in (None, "uniform_average", "variance_weighted_average") for k in (0, 2, 200)),
    *((cls, {}, "regression") for cls in ("PearsonCorrelation", "ConcordanceCorrelation")),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "ids"),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 0}, "ids"),
    ("MeanIoU", {"num_classes": 4}, "ids"), ("MeanIoU", {"num_classes": 4, "ignore_class": 3}, "ids"),
    ("MeanIoU", {"num_classes": 4, "sparse_y_true": False, "sparse_y_pred": False}, "onehot"),
    ("BinaryIoU", {}, "binary"), ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3]}, "onehot"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 2], "sparse_y_pred": True}, "onehot_ids"),
    ("OneHotMeanIoU", {"num_classes": 4}, "onehot"),
    *(("SparseTopKCategoricalAccuracy", {"k": k}, "sparse") for k in (1, 2, 5)),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids"),
    ("BinaryCrossentropy", {}, "binary"), ("BinaryCrossentropy", {"label_smoothing": 0.2}, "multilabel"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "onehot"), ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"), ("SparseCategoricalCrossentropy", {"from_logits": True},
                                                      "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0, "from_logits": True}, "sparse_logits"),
    ("KLDivergence", {}, "onehot"), ("Poisson", {}, "positive"), ("Hinge", {}, "multilabel"),
    ("Hinge", {}, "regression"), ("LogCoshError", {}, "regression"), ("MeanSquaredLogarithmicError", {}, "positive"),
]


def metric_batches(kind: str, seed: int = 0) -> list:
    """Three batches (y_true, y_pred, sample_weight) of 8 rows of the data kind."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        n = 8
        w = rng.random(n) + 0.1
        labels = rng.integers(0, 4, size=n)
        scores = rng.random((n, 4))
        if kind.startswith("binary"):
            y, p = rng.integers(0, 2, size=(n, 1)).astype(float), rng.random((n, 1))
            p = rng.normal(size=(n, 1)) * 3 if kind == "binary_logits" else p
            p = p * 1.6 - 0.3 if kind == "binary_outside" else p
        elif kind.startswith("multilabel"):
            y, p = rng.integers(0, 2, size=(n, 3)).astype(float), rng.random((n, 3))
            p = rng.normal(size=(n, 3)) * 3 if kind == "multilabel_logits" else p
        elif kind in ("onehot", "onehot_logits", "onehot_ids"):
            y = np.eye(4)[labels]
            p = scores / scores.sum(axis=1, keepdims=True) if kind == "onehot" else rng.normal(size=(n, 4))
            p = rng.integers(0, 4, size=n) if kind == "onehot_ids" else p
        elif kind in ("sparse", "sparse_logits"):
            y = labels.astype(float)
            p = scores / scores.sum(axis=1, keepdims=True) if kind == "sparse" else rng.normal(size=(n, 4))
        elif kind == "sorted_ids":
            y, p = labels, np.argsort(-scores, axis=1).astype(float)
        elif kind == "ids":
            y, p = labels, np.where(rng.random(n) < 0.6, labels, rng.integers(0, 5, size=n))
        elif kind == "regression":
            y = rng.normal(size=(n, 3))
            p = y + rng.normal(size=(n, 3)) * 0.5
        elif kind == "positive":
            y, p = rng.random((n, 3)) * 3, rng.random((n, 3)) * 3
        else:
            raise ValueError(kind)
        out.append((y, p, w))
    return out


def compare_metrics_directly(keras, fs, only: str | None = None) -> int:
    """Each DIRECT_METRICS entry, unweighted then weighted, against Keras 3; the number that differ."""
    failures = 0
    for cls, kwargs, kind in DIRECT_METRICS:
        label = f"{cls}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) on {kind}"
        if only and only not in label and not "metrics".startswith(only):
            continue
        problems = []
        keras_config = keras.metrics.serialize(getattr(keras.metrics, cls)(**kwargs))
        rebuilt = fs.metrics.deserialize(keras_config).get_config()  # Keras's config builds the same metric
        problems += [f"config[{k!r}]: {rebuilt[k]!r} != Keras {v!r}" for k, v in keras_config["config"].items()
                     if k in rebuilt and k != "name" and rebuilt[k] != plain_value(v)]
        for weighted in (False, True):
            ours, theirs = getattr(fs.metrics, cls)(**kwargs), getattr(keras.metrics, cls)(**kwargs)
            for y, p, w in metric_batches(kind):
                w = np.floor(w * 3) if "IoU" in cls else w  # IoU truncates weights to its int dtype
                ours.update_state(y, p, sample_weight=w if weighted else None)
                theirs.update_state(y, p, sample_weight=w if weighted else None)
            a = np.asarray(fs.ops.convert_to_numpy(ours.result()), dtype=np.float64)
            b = np.asarray(keras.ops.convert_to_numpy(theirs.result()), dtype=np.float64)
            if a.shape != b.shape or not np.allclose(a, b, rtol=RTOL, atol=ATOL):
                problems.append(f"{'weighted' if weighted else 'unweighted'}: {a} != Keras {b}")
        failures += verdict(label, problems)
    return failures + compare_metric_names(keras, fs, only)


def compare_metric_names(keras, fs, only: str | None = None) -> int:
    """Every name keras.metrics.get accepts resolves in fs.metrics.get to the class of the same name."""
    if only and only not in "metric names":
        return 0
    from keras.src.metrics import ALL_OBJECTS_DICT

    differ = []
    for name, cls in ALL_OBJECTS_DICT.items():
        if cls.__name__ in ("Metric", "MeanMetricWrapper"):
            continue
        try:
            expected = type(keras.metrics.get(name)).__name__
        except TypeError:  # a class with required arguments (the IoU family, the at-constraint metrics)
            expected = cls.__name__
            ours = getattr(fs.metrics, fs_names.NAMES.get(name, name), None)
            found = ours.__name__ if ours is not None else None
        else:
            found = type(fs.metrics.get(name)).__name__
        if found != expected:
            differ.append(f"{name}: {found} != Keras {expected}")
    return verdict(f"metric names ({len(ALL_OBJECTS_DICT) - 2} names and aliases)", differ)


def check() -> int:
    import keras

    import fitspec_numpy as fs

    return compare_metrics_directly(keras, fs)

"""Cross-check fitspec's reference against Keras 3: `nox -s crosscheck` (dev only, KERAS_BACKEND=jax).

For every golden case that uses the default train step, the same model is trained in Keras 3 and
in fitspec-numpy, both in float64, from the same initial weights and without shuffling (the two
shuffle differently by design, docs/SPEC.md 3.2); History, final weights, evaluate() and predict()
must agree. Intended deviations (docs/SPEC.md) are listed in DEVIATIONS with their reason.
"""

from __future__ import annotations

import sys

import numpy as np

from conformance.cases import CASES
from conformance.runner import run_case
from fitspec.metrics import registry as fs_names
from fitspec.metrics.lookup import plain_value

RTOL, ATOL = 1e-7, 1e-8  # float64 runs whose summation orders differ, over tens of steps

#: case -> why Keras 3 differs on purpose; those cases are reported, not failed.
DEVIATIONS: dict[str, str] = {
    "binary_logits_nesterov": (
        "Keras 3.15's activations.tanh on JAX is off the exact tanh by up to 9.1e-8 in float64 (measured against "
        "numpy.tanh) and its BinaryCrossentropy(from_logits=True) off the exact formula by 7.2e-9; fitspec computes "
        "both exactly (docs/SPEC.md 5.2), so the runs part at 1e-8 from the first step"
    ),
    "every_layer_rmsprop_momentum": "its Dense(tanh) layer: the same Keras 3.15 tanh inaccuracy as above",
    "two_inputs_two_outputs": "its Dense(tanh) branch: the same Keras 3.15 tanh inaccuracy (History, loss names and "
                              "per-output metrics agree)",
    "layers_layer_normalization": (
        "Keras 3.15 on JAX computes LayerNormalization (and ops.mean / ops.var) in float32 for float64 inputs: "
        "backend.result_type(float64, 'float32') is float32 there (keras/src/backend/common/dtypes.py, "
        "BIT64_TO_BIT32_DTYPE). Measured: its float64 LayerNormalization output is 4.3e-7 off the exact formula, "
        "fitspec's 4.4e-16; with that mapping set to float64 the case agrees with Keras at 1e-7"
    ),
    "layers_batch_normalization_train_and_inference": (
        "the same float32 computation in Keras 3.15's BatchNormalization and GlobalAveragePooling2D (ops.mean) on "
        "JAX; with float64 kept the case agrees, and Keras 3.15 on TensorFlow (which keeps float64) agrees as is"
    ),
    "layers_embedding_average": (
        "Keras 3.15's GlobalAveragePooling1D (ops.mean) on JAX averages float64 in float32 (off by 4.6e-8); with "
        "float64 kept the case agrees"
    ),
    "random_dropout_training": (
        "Keras 3 on JAX draws a float64 model's dropout masks from float64 uniforms (bernoulli with a float64 p) "
        "and seeds an unseeded Dropout from Python's random; fitspec draws float32 uniforms in every precision, so "
        "that float32 and float64 runs share their masks (docs/SPEC.md R.4). Keras in float32 draws fitspec's "
        "masks for a seeded Dropout: the same seed state [seed, n] and jax.random.bernoulli"
    ),
    "random_row_dropout_fused_steps": "its Dropout: the float64 masks of Keras 3 on JAX, as above",
}

#: case -> why Keras 3 cannot run it at all; those cases are reported and skipped.
NOT_RUN: dict[str, str] = {
    "random_unseeded_noise": (
        "Keras 3 on JAX refuses an unseeded draw inside a jitted step ('When tracing a JAX function, you should only "
        "use seeded random ops'); fitspec carries the process-wide seed state through the step (docs/SPEC.md R.3)"
    ),
}


def compare(a, b, path: str, problems: list[str]) -> None:
    if isinstance(b, dict):
        if sorted(a) != sorted(b):
            problems.append(f"{path}: keys {sorted(a)} != Keras {sorted(b)}")
            return
        for key in b:
            compare(a[key], b[key], f"{path}[{key!r}]", problems)
    elif isinstance(b, list) and b and isinstance(b[0], np.ndarray):
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", problems)
    else:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if x.shape != y.shape or not np.allclose(x, y, rtol=RTOL, atol=ATOL):
            worst = float(np.max(np.abs(x - y))) if x.shape == y.shape else float("nan")
            problems.append(f"{path}: differs (max |diff| {worst:.3e})")


def main() -> int:
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    only = sys.argv[1] if len(sys.argv) > 1 else None  # run only the cases (and direct checks) naming it
    failures = 0
    for case in CASES:
        if case.model_class != "Model" or case.fit is None or (only and only not in case.name):
            continue
        if case.name in NOT_RUN:
            print(f"not run in Keras: {case.name}: {NOT_RUN[case.name]}")
            continue
        ours = run_case(fs, case, fit_overrides={"shuffle": False})
        theirs = run_case(keras, case, fit_overrides={"shuffle": False}, initial_weights=ours["initial_weights"])
        theirs = {k: v for k, v in theirs.items() if k != "step_losses"}
        ours = {k: v for k, v in ours.items() if k != "step_losses"}
        problems: list[str] = []
        compare(ours, theirs, case.name, problems)
        if not problems:
            print(f"agrees with Keras {keras.__version__}: {case.name}")
        elif case.name in DEVIATIONS:
            print(f"differs as documented: {case.name}: {DEVIATIONS[case.name]}")
        else:
            failures += 1
            print(f"DIFFERS from Keras {keras.__version__}: {case.name}")
            for problem in problems[:10]:
                print(f"    {problem}")
    failures += compare_metrics_directly(keras, fs, only)
    return 1 if failures else 0



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
        if problems:
            failures += 1
            print(f"DIFFERS from Keras {keras.__version__}: {label}: {'; '.join(problems)}")
        else:
            print(f"agrees with Keras {keras.__version__}: {label}")
    return failures + compare_metric_names(keras, fs, only)


def compare_metric_names(keras, fs, only: str | None = None) -> int:
    """Every name keras.metrics.get accepts resolves in fs.metrics.get to the class of the same name."""
    if only and only not in "metric names":
        return 0
    from keras.src.metrics import ALL_OBJECTS_DICT

    differ = []
    for name, cls in ALL_OBJECTS_DICT.items():
        if cls.__name__ in ("Metric", "MeanMetricWrapper", "SquaredHinge", "CategoricalHinge"):
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
    print(f"DIFFERS from Keras {keras.__version__}: metric names: {differ}" if differ else
          f"agrees with Keras {keras.__version__}: metric names ({len(ALL_OBJECTS_DICT) - 4} names and aliases)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

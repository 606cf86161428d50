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
    "losses_issue16_heads": (
        "its SquaredHinge head: Keras 3.15's squared_hinge ends in ops.mean, which on JAX averages float64 in float32 "
        "(measured: keras.ops.mean of float64 values in [0, 3) is off numpy's mean by 2.3e-7, squared_hinge by "
        "2.5e-8); the ten other heads' losses agree, and the run parts at 1.7e-8 on that head only"
    ),
    "loss_CTC": (
        "Keras 3.15's ctc_loss on JAX computes in backend.result_type(float64, 'float32'), which is float32 there "
        "(docs/SPEC.md 11); fitspec's CTC equals the sum over every alignment (enumerated) to 1e-12 in float64 "
        "(packages/fitspec-numpy/tests/test_gradients_losses.py); the runs part at 3.5e-8"
    ),
    "activations_sparsemax": (
        "Keras 3.15's sparsemax sums the cumulative sums over the support where the definition sums the values "
        "(FUNCTION_DEVIATIONS['activations.sparsemax']): its outputs do not sum to 1 when more than one class is in "
        "the support"
    ),
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


def verdict(version: str, name: str, problems: list[str], documented: str | None) -> bool:
    """Print whether `name` agrees with Keras, differs as `documented`, or differs (then True: a failure)."""
    if not problems:
        print(f"agrees with Keras {version}: {name}")
    elif documented:
        print(f"differs as documented: {name}: {documented}")
    else:
        print(f"DIFFERS from Keras {version}: {name}")
        for problem in problems[:10]:
            print(f"    {problem}")
    return bool(problems) and not documented


def main(argv=None) -> int:
    """`python -m conformance.crosscheck [-k SUBSTRING] [--cases-only | --functions-only]`: -k keeps the golden
    cases and function checks (`activations`, `losses`) whose name contains SUBSTRING."""
    import argparse

    import jax

    parser = argparse.ArgumentParser(prog="conformance.crosscheck")
    parser.add_argument("-k", default="", help="run only the cases and function checks whose name contains this")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cases-only", action="store_true")
    group.add_argument("--functions-only", action="store_true")
    args = parser.parse_args(argv)

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    failures = 0
    for case in CASES:
        if case.model_class != "Model" or case.fit is None or args.functions_only or args.k not in case.name:
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
        failures += verdict(keras.__version__, case.name, problems, DEVIATIONS.get(case.name))
    if not args.cases_only:
        failures += crosscheck_functions(keras, fs, args.k)
    return 1 if failures else 0


# -- losses and activations as pure functions (docs/SPEC.md 5.4, 5.5) ------------------------------------------
#: activation -> keyword arguments tried besides the defaults
ACTIVATION_OPTIONS: dict[str, list[dict]] = {
    "relu": [{"negative_slope": 0.1}, {"max_value": 6.0}, {"max_value": 2.5, "threshold": 0.5},
             {"negative_slope": 0.2, "max_value": 4.0, "threshold": 1.0}, {"threshold": 1.5}],
    "leaky_relu": [{"negative_slope": 0.05}], "elu": [{"alpha": 0.5}], "celu": [{"alpha": 2.0}],
    "gelu": [{"approximate": True}], "softmax": [{"axis": 0}], "log_softmax": [{"axis": 0}],
    "glu": [{"axis": 0}], "sparsemax": [{"axis": 0}], "squareplus": [{"b": 1.0}],
    "soft_shrink": [{"threshold": 1.0}], "hard_shrink": [{"threshold": 1.0}],
}
#: activations Keras defines only with arguments
ACTIVATION_REQUIRED: dict[str, dict] = {"threshold": {"threshold": 0.5, "default_value": -2.0}}


def function_inputs(seed: int = 0) -> np.ndarray:
    """(8, 6) float64: normal draws times 3, then edge values (0, the kinks, large and tiny magnitudes)."""
    x = np.random.default_rng(seed).normal(size=(8, 6)) * 3.0
    x[0] = [0.0, 1.0, -1.0, 3.0, -3.0, 6.0]
    x[1] = [0.5, -0.5, 30.0, -30.0, 1e-12, -1e-12]
    x[2] = [2.0, 2.0, 2.0, -1.0, -1.0, 0.25]  # ties for sparsemax
    return x


def crosscheck_activations(keras, fs, report) -> None:
    """Every activation of keras.activations against fs.activations on the same float64 inputs."""
    x = function_inputs()
    names = [n for n in dir(keras.activations) if not n.startswith("_") and n not in ("get", "serialize",
                                                                                      "deserialize")]
    missing = sorted(set(names) - set(fs.activations.__all__))
    if missing:
        report("activations", [f"not exported by fitspec: {missing}"])
    for name in sorted(set(names) & set(fs.activations.__all__)):
        for kwargs in [ACTIVATION_REQUIRED.get(name, {}), *ACTIVATION_OPTIONS.get(name, [])]:
            ours = np.asarray(fs.ops.convert_to_numpy(getattr(fs.activations, name)(x, **kwargs)))
            theirs = np.asarray(keras.ops.convert_to_numpy(getattr(keras.activations, name)(x, **kwargs)))
            problems: list[str] = []
            compare(ours, theirs, f"activations.{name}({kwargs})", problems)
            report(f"activations.{name}{kwargs or ''}", problems)


#: function check -> why Keras 3 differs on purpose (matched by the name's prefix); reported, not failed.
FUNCTION_DEVIATIONS: dict[str, str] = {
    "losses.BinaryFocalCrossentropy({'from_logits': True, 'label_smoothing': 0.2, 'axis': 0})": (
        "Keras 3.15's ops.mean on JAX averages float64 in float32 (docs/SPEC.md 11): every other step of the loss "
        "equals fitspec's to the last bit in float64 (measured); the mean over axis 0 of 8 values near 5 parts at "
        "3e-7"
    ),
    "activations.tanh": "Keras 3.15's tanh on JAX is off numpy.tanh by up to 1.3e-7 in float64 (see above); fitspec's "
                        "is the framework's exact tanh",
    "activations.sparsemax": (
        "Keras 3.15 takes tau = (sum over the support of the cumulative sums - 1) / k where the sparsemax of Martins "
        "and Astudillo (2016) takes (sum over the support of x - 1) / k: the two agree when the support has one "
        "element, and otherwise Keras's output does not sum to 1 (sparsemax([0.5, 1.0, 0.2]) is [0, 0.25, 0] in "
        "Keras, [0.25, 0.75, 0] in fitspec; [2, 2, -1] gives all zeros in Keras, [0.5, 0.5, 0] in fitspec)"
    ),
}


def crosscheck_functions(keras, fs, only: str = "") -> int:
    """The pure-function checks of the losses and activations (float64, RTOL / ATOL); returns the failures."""
    failures = 0

    def report(name: str, problems: list[str]) -> None:
        nonlocal failures
        documented = next((why for key, why in FUNCTION_DEVIATIONS.items() if name.startswith(key)), None)
        if documented and problems:
            documented = f"{problems[0]}; {documented}"
        failures += verdict(keras.__version__, name, problems, documented)

    def filtered(name: str, problems: list[str]) -> None:
        if only in name:
            report(name, problems)

    for check in (crosscheck_activations, crosscheck_losses):
        check(keras, fs, filtered)
    return failures


def _loss_data(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) of one kind of loss, float64, with edge values (exact 0 and 1 probabilities, large logits)."""
    rng = np.random.default_rng(seed)
    n, c = 8, 4
    if kind == "regression":
        return rng.normal(size=(n, c)), rng.normal(size=(n, c)) * 2
    if kind == "positive":
        return rng.random((n, c)) * 3, rng.random((n, c)) * 3
    if kind in ("binary", "binary_logits"):
        y = rng.integers(0, 2, size=(n, c)).astype(float)
        if kind == "binary_logits":
            p = rng.normal(size=(n, c)) * 3
            p[0, :2] = [30.0, -30.0]
            return y, p
        p = rng.random((n, c))
        p[0] = [0.0, 1.0, 0.0, 1.0]
        return y, p
    if kind == "plus_minus":
        return rng.choice([-1.0, 1.0], size=(n, c)), rng.normal(size=(n, c))
    if kind in ("onehot", "onehot_logits"):
        y = np.eye(c)[rng.integers(0, c, size=n)]
        if kind == "onehot_logits":
            return y, rng.normal(size=(n, c)) * 3
        p = rng.random((n, c))
        p[0] = [0.0, 1.0, 0.0, 0.0]
        return y, p / p.sum(-1, keepdims=True)
    if kind in ("sparse", "sparse_logits"):
        y, p = _loss_data(kind.replace("sparse", "onehot"), seed)
        return np.argmax(y, -1).astype(float), p
    if kind == "embeddings":
        e = rng.normal(size=(n, 5))
        return rng.integers(0, 3, size=(n,)).astype(float), e / np.linalg.norm(e, axis=-1, keepdims=True)
    if kind == "ctc":
        y = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [0, 0, 0, 0], [2, 3, 1, 3]], dtype=float)
        return y, rng.normal(size=(4, 9, 4)) * 2
    raise ValueError(kind)


#: (class, options, data kind): every loss of keras.losses with the options Keras has
LOSS_CHECKS: list[tuple[str, dict, str]] = [
    ("MeanSquaredError", {}, "regression"), ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"), ("MeanSquaredLogarithmicError", {}, "positive"),
    ("LogCosh", {}, "regression"), ("Huber", {}, "regression"), ("Huber", {"delta": 0.5}, "regression"),
    ("CosineSimilarity", {}, "regression"), ("CosineSimilarity", {"axis": 0}, "regression"),
    ("KLDivergence", {}, "onehot"), ("Poisson", {}, "positive"),
    ("Hinge", {}, "binary_logits"), ("Hinge", {}, "plus_minus"),
    ("SquaredHinge", {}, "binary_logits"), ("SquaredHinge", {}, "plus_minus"),
    ("CategoricalHinge", {}, "onehot_logits"),
    ("BinaryCrossentropy", {}, "binary"), ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2, "axis": 0}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "axis": 0}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "onehot"), ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.3}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1, "axis": 0}, "onehot_logits"),
    ("CategoricalFocalCrossentropy", {}, "onehot"),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.1}, "onehot"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "axis": 0}, "onehot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}, "sparse"),
    ("CategoricalGeneralizedCrossEntropy", {}, "sparse"), ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, "sparse"),
    ("Dice", {}, "binary"), ("Dice", {"axis": 1}, "binary"), ("Dice", {"axis": [0, 1]}, "binary"),
    ("Tversky", {}, "binary"), ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": 1}, "binary"),
    ("Circle", {}, "embeddings"), ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, "embeddings"),
    ("CTC", {}, "ctc"),
]
#: the function each loss class wraps, where its name is not the class's in snake case
LOSS_FUNCTIONS = {"CTC": "ctc", "KLDivergence": "kl_divergence"}
REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


def _function_name(class_name: str) -> str:
    import re

    return LOSS_FUNCTIONS.get(class_name) or re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def crosscheck_losses(keras, fs, report) -> None:
    """Every loss of keras.losses, function and class, with its options and every reduction, with and without a
    sample_weight, against fs.losses on the same float64 inputs."""
    names = {n for n in dir(keras.losses) if not n.startswith("_")} - {"Loss", "get", "serialize", "deserialize"}
    missing = sorted(names - set(fs.losses.__all__))
    if missing:
        report("losses", [f"not exported by fitspec: {missing}"])
    for seed, (class_name, options, kind) in enumerate(LOSS_CHECKS):
        y, p = _loss_data(kind, seed)
        label = f"losses.{class_name}({options}) on {kind}"
        problems: list[str] = []
        fn = _function_name(class_name)
        fn_options = {"q": 0.5, **options} if class_name == "CategoricalGeneralizedCrossEntropy" else options
        compare(np.asarray(fs.ops.convert_to_numpy(getattr(fs.losses, fn)(y, p, **fn_options))),
                np.asarray(keras.ops.convert_to_numpy(getattr(keras.losses, fn)(y, p, **fn_options))),
                f"{fn}", problems)
        weights = np.random.default_rng(seed + 100).random(len(y))
        axis = options.get("axis", -1)
        per_sample = axis in (-1, 1) if class_name not in ("Dice", "Tversky") else axis == 1
        for reduction in REDUCTIONS:
            for sample_weight in (None, weights) if per_sample else (None,):
                ours = getattr(fs.losses, class_name)(reduction=reduction, **options)(y, p, sample_weight=sample_weight)
                theirs = getattr(keras.losses, class_name)(reduction=reduction, **options)(y, p,
                                                                                          sample_weight=sample_weight)
                compare(np.asarray(fs.ops.convert_to_numpy(ours)), np.asarray(keras.ops.convert_to_numpy(theirs)),
                        f"reduction={reduction} weighted={sample_weight is not None}", problems)
        report(label, problems)


if __name__ == "__main__":
    sys.exit(main())

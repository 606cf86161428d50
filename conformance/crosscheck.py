"""Cross-check fitspec's reference against Keras 3: `nox -s crosscheck` (dev only, KERAS_BACKEND=jax).

For every golden case that uses the default train step, the same model is trained in Keras 3 and
in fitspec-numpy, both in float64, from the same initial weights and without shuffling (the two
shuffle differently by design, docs/SPEC.md 3.2); History, final weights, evaluate() and predict()
must agree. Intended deviations (docs/SPEC.md) are listed in DEVIATIONS with their reason.
"""

from __future__ import annotations

import math
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
    "layers_noise_training": (
        "its noise layers in training: Keras 3 on JAX draws a float64 model's noise and masks in float64, fitspec in "
        "float32 in every precision (docs/SPEC.md 8d.10); compared instead by `compare_layers`: the same model in "
        "inference, and in float32 training the masks of SpatialDropout1D/2D/3D and AlphaDropout bit for bit, "
        "GaussianNoise / GaussianDropout within jax's normal approximation"
    ),
    "layers_normalization": (
        "Keras 3.15 on JAX computes GroupNormalization and RMSNormalization in float32 for float64 inputs "
        "(backend.result_type(float64, 'float32'), as for LayerNormalization above); with BIT64_TO_BIT32_DTYPE's "
        "float64 entry set to float64 the case agrees with Keras at 1e-7"
    ),
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


def crosscheck_utils(keras, fs) -> list[str]:
    """`fs.utils`' array helpers against `keras.utils` on host data (docs/SPEC.md 12.1): identical arrays."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    x[1] = 0.0
    labels = rng.integers(0, 5, size=(6, 1))
    sequences = [[1, 2, 3], [], [4, 5, 6, 7, 8], [9]]
    calls = {
        "to_categorical(labels)": lambda u: u.to_categorical(labels),
        "to_categorical(labels, 7)": lambda u: u.to_categorical(labels.ravel(), 7),
        **{f"normalize(order={order}, axis={axis})": (lambda u, order=order, axis=axis: u.normalize(x, axis, order))
           for order in (1, 2, np.inf) for axis in (-1, 1)},
        **{f"pad_sequences({padding}, {truncating}, maxlen={maxlen})":
           (lambda u, p=padding, t=truncating, m=maxlen: u.pad_sequences(sequences, m, padding=p, truncating=t,
                                                                          value=-1))
           for padding in ("pre", "post") for truncating in ("pre", "post") for maxlen in (None, 2)},
    }
    problems = []
    for name, call in calls.items():
        ours, theirs = call(fs.utils), call(keras.utils)
        if ours.dtype != theirs.dtype or ours.shape != theirs.shape or not np.array_equal(ours, theirs):
            problems.append(f"utils.{name}: {ours.dtype}{ours.shape} != Keras {theirs.dtype}{theirs.shape}")
    return problems


def report(area: str, problems: list[str], version: str) -> int:
    """Print an area's verdict and its first problems; 1 if it differs."""
    return int(verdict(version, area, problems, None))


def crosscheck_model_configs(keras, fs) -> int:
    """Keras 3's `get_config()` of small Functional and Sequential models (branches, a shared layer, a nested model,
    a registered custom activation) rebuilt by fitspec's `from_config` predicts what Keras predicts from the same
    weights; fitspec's config of the same model rebuilds in Keras 3 too (docs/SPEC.md 2.8)."""
    import json

    def halved(x):
        return x * 0.5

    # each library registers its own function under one name: "crosscheck>halved"
    activation = {keras: keras.saving.register_keras_serializable(package="crosscheck")(halved),
                  fs: fs.saving.register_keras_serializable(package="crosscheck", name="halved")(lambda x: x * 0.5)}

    def functional(api):
        lay = api.layers
        inner_in = api.Input(shape=(5,), name="inner_in")
        inner = api.Model(inner_in, lay.Dense(3, activation="sigmoid", name="inner_dense")(inner_in), name="inner")
        x = api.Input(shape=(4,), name="x")
        hidden = lay.Dense(5, activation="relu", name="hidden")(x)
        shared = lay.Dense(5, activation=activation[api], name="shared")
        a, b = shared(hidden), shared(lay.LeakyReLU(negative_slope=0.2, name="leaky")(hidden))
        joined = lay.Concatenate(name="joined")([inner(a), b, lay.Flatten(name="flat")(lay.Reshape((5, 1))(hidden))])
        return api.Model(x, lay.Dense(2, activation="softmax", name="head")(joined), name="crosscheck_functional")

    def sequential(api):
        lay = api.layers
        return api.Sequential([api.Input(shape=(4,)), lay.Dense(3, activation="relu", name="s1"),
                               lay.Dropout(0.3, name="drop"), lay.Dense(1, name="s2")], name="crosscheck_sequential")

    def copy_weights(source, target):
        for layer in target.layers:
            other = source.get_layer(layer.name)
            if hasattr(layer, "layers") and not isinstance(layer.layers, property):
                if layer.weights and hasattr(other, "get_layer"):
                    copy_weights(other, layer)
                    continue
            if layer.weights:
                layer.set_weights(other.get_weights())

    x = np.random.default_rng(11).standard_normal((6, 4))
    failures = 0
    for name, build in (("functional", functional), ("sequential", sequential)):
        keras_model = build(keras)
        config = json.loads(json.dumps(keras_model.get_config()))
        cls = fs.Sequential if name == "sequential" else fs.Model
        ours = cls.from_config(config)
        copy_weights(keras_model, ours)
        expected = np.asarray(keras_model.predict(x, verbose=0))
        got = ours.predict(x, verbose=0)
        back = type(keras_model).from_config(json.loads(json.dumps(ours.get_config())))
        copy_weights(ours, back)
        returned = np.asarray(back.predict(x, verbose=0))
        for what, value in (("fitspec from Keras's config", got), ("Keras from fitspec's config", returned)):
            if np.allclose(value, expected, rtol=RTOL, atol=ATOL):
                print(f"agrees with Keras {keras.__version__}: model_configs/{name}: {what}")
            else:
                failures += 1
                worst = float(np.max(np.abs(value - expected)))
                print(f"DIFFERS from Keras {keras.__version__}: model_configs/{name}: {what} (max |diff| {worst:.3e})")
    return failures


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


def crosscheck_initializers(keras, fs) -> list[str]:
    """`fs.initializers` against `keras.initializers` (docs/SPEC.md 3.3): the deterministic arrays, the random ones'
    statistics and orthogonality (their numbers are numpy's by design, 3.1), configs and names."""
    from fitspec.initializers.windows import WINDOWS

    ours, theirs = fs.initializers, keras.initializers
    problems = []

    def same_array(what, a, b, rtol=0.0, atol=0.0):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
            worst = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("nan")
            problems.append(f"initializers.{what}: {a.shape} != Keras {b.shape} (max |diff| {worst:.3e})")

    for name, args, shape in [("Zeros", {}, (3, 4)), ("Ones", {}, (2, 3, 4)), ("Constant", {"value": -2.5}, (5,)),
                              ("Identity", {}, (4, 4)), ("Identity", {"gain": 0.5}, (3, 5)),
                              ("Identity", {"gain": -2.0}, (5, 3))]:
        for dtype in ("float32", "float64"):
            same_array(f"{name}({args})({shape}, {dtype})", getattr(ours, name)(**args)(shape, dtype),
                       getattr(theirs, name)(**args)(shape, dtype))
    # STFT: every window scipy takes by name, both sides and periodicities, every scaling. Keras 3.15 on JAX computes
    # ops.cos / ops.sin / ops.arccos of float64 in float32 (backend.result_type's BIT64_TO_BIT32_DTYPE): its float64
    # kernels are float32-accurate (|angle| <= 8 pi here: up to 1.4e-6 off, measured); Keras on TensorFlow: 1.2e-16
    for window in [*sorted(WINDOWS), None, [0.5, 1.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.0, 1.0]]:
        for side in ("real", "imag"):
            for scaling in ("density", "spectrum", None):
                for periodic in (False, True):
                    args = {"side": side, "window": window, "scaling": scaling, "periodic": periodic}
                    same_array(f"STFT({args})", ours.STFT(**args)((9, 1, 6), "float64"),
                               theirs.STFT(**args)((9, 1, 6), "float64"), atol=4e-6)
    # the random ones: the same distribution (mean, standard deviation, extremes) from a large draw
    shape = (240, 250)
    random_cases = [("RandomNormal", {"mean": 0.5, "stddev": 2.0}), ("RandomUniform", {"minval": -3.0, "maxval": 1.0}),
                    ("TruncatedNormal", {"mean": -1.0, "stddev": 0.3}),
                    *((name, {}) for name in ("GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
                                              "LecunUniform")),
                    *(("VarianceScaling", {"scale": 3.0, "mode": mode, "distribution": distribution})
                      for mode in ("fan_in", "fan_out", "fan_avg")
                      for distribution in ("truncated_normal", "untruncated_normal", "uniform", "normal"))]
    for name, args in random_cases:
        a = getattr(ours, name)(**args, seed=1)(shape, "float64")
        b = np.asarray(getattr(theirs, name)(**args, seed=1)(shape, "float64"))
        spread = float(b.std())
        # a bounded distribution's extremes sit at its bounds; an unbounded one's wander (60000 normal draws: +-4.4 sd)
        unbounded = name == "RandomNormal" or args.get("distribution") == "untruncated_normal"
        checks = {"mean": (a.mean(), b.mean(), 5 * spread / math.sqrt(a.size)),
                  "std": (a.std(), b.std(), 0.02 * spread),
                  "min": (a.min(), b.min(), (1.0 if unbounded else 0.03) * spread),
                  "max": (a.max(), b.max(), (1.0 if unbounded else 0.03) * spread)}
        for stat, (x, y, tolerance) in checks.items():
            if abs(x - y) > tolerance:
                problems.append(f"initializers.{name}({args}): {stat} {x:.5g} != Keras {y:.5g} "
                                f"(tolerance {tolerance:.2g})")
        if getattr(ours, name)(**args).get_config() != getattr(theirs, name)(**args).get_config():
            problems.append(f"initializers.{name}({args}).get_config() != Keras's")
    for shape in [(6, 6), (9, 4), (4, 9), (3, 3, 2, 5), (2, 2, 5, 3)]:
        for gain in (1.0, 0.7):
            a = ours.Orthogonal(gain=gain, seed=2)(shape, "float64")
            b = np.asarray(theirs.Orthogonal(gain=gain, seed=2)(shape, "float64"))
            for who, q in (("fitspec", a), ("Keras", b)):
                flat = q.reshape(-1, shape[-1])
                product = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
                if q.shape != shape or not np.allclose(product, gain**2 * np.eye(len(product)), atol=1e-13):
                    problems.append(f"initializers.Orthogonal(gain={gain})({shape}) of {who} is not orthogonal")
    # names and configs
    for name in [n for n in dir(theirs) if not n.startswith("_") and n not in ("get", "serialize", "deserialize")]:
        try:
            keras_class = type(theirs.get(name)).__name__
        except KeyError:  # Keras 3.15's get("constant") reads a missing config["value"]; fitspec's is Constant(0.0)
            keras_class = "Constant"
        mine = type(ours.get(name)).__name__
        if mine != keras_class:
            problems.append(f"initializers.get({name!r}): {mine} != Keras {keras_class}")
    for name, args in [("Constant", {"value": 2.0}), ("Orthogonal", {"gain": 2.0, "seed": 3}),
                       ("STFT", {"side": "imag", "window": "hamming", "scaling": None, "periodic": True}),
                       ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 4,
                                            "input_axes": [0], "output_axes": [1]}),
                       ("GlorotUniform", {"seed": 5}), ("RandomNormal", {"seed": 6})]:
        mine, keras_dict = ours.serialize(getattr(ours, name)(**args)), theirs.serialize(getattr(theirs, name)(**args))
        if mine != keras_dict:
            problems.append(f"initializers.serialize({name}({args})): {mine} != Keras {keras_dict}")
        rebuilt = ours.deserialize(keras_dict)
        if rebuilt.get_config() != getattr(ours, name)(**args).get_config():
            problems.append(f"initializers.deserialize(Keras's {name} dict) is not {name}({args})")
    return problems


def _crosscheck_module(keras, fs, module: str, cases: list, shapes: list, strings: list, rtol: float) -> list[str]:
    """`fs.<module>` against `keras.<module>`, for modules of callables on arrays (regularizers, constraints): their
    values on the same random arrays (one zero entry), configs as `serialize` writes them, the strings `get`
    resolves or refuses and the exported names."""
    ours, theirs = getattr(fs, module), getattr(keras, module)
    problems = []
    rng = np.random.default_rng(0)
    for name, args in cases:
        for shape in shapes:
            x = rng.normal(size=shape)
            x.flat[0] = 0.0
            a = np.asarray(fs.ops.convert_to_numpy(getattr(ours, name)(**args)(fs.ops.convert_to_tensor(x))))
            b = np.asarray(getattr(theirs, name)(**args)(keras.ops.convert_to_tensor(x)))
            if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=rtol * 1e-3):
                problems.append(f"{module}.{name}({args})({shape}): {a.ravel()[:3]} != Keras {b.ravel()[:3]}")
        mine, keras_dict = ours.serialize(getattr(ours, name)(**args)), theirs.serialize(getattr(theirs, name)(**args))
        if mine != keras_dict:
            problems.append(f"{module}.serialize({name}({args})): {mine} != Keras {keras_dict}")
    keras_names = sorted(n for n in dir(theirs) if not n.startswith("_"))
    if sorted(ours.__all__) != keras_names:
        problems.append(f"{module} names {sorted(ours.__all__)} != Keras {keras_names}")
    for name in strings:
        resolved = []
        for namespace in (ours, theirs):
            try:
                resolved.append(type(namespace.get(name)).__name__)
            except ValueError:
                resolved.append("refused")
        if resolved[0] != resolved[1]:
            problems.append(f"{module}.get({name!r}): {resolved[0]} != Keras {resolved[1]}")
    return problems


def crosscheck_regularizers(keras, fs) -> list[str]:
    """`fs.regularizers` against `keras.regularizers` (docs/SPEC.md 8d.9)."""
    cases = [("L1", {"l1": 0.3}), ("L2", {"l2": 0.2}), ("L1L2", {"l1": 0.05, "l2": 0.4}), ("L1L2", {}), ("L1", {}),
             ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}),
             ("OrthogonalRegularizer", {"factor": 0.7, "mode": "columns"}), ("OrthogonalRegularizer", {})]
    strings = ["L1", "L2", "L1L2", "OrthogonalRegularizer", "Regularizer", "l1", "l2", "l1l2", "l1_l2",
               "orthogonal_regularizer", "regularizer", "L1_L2"]
    return _crosscheck_module(keras, fs, "regularizers", cases, [(3, 3), (5, 2), (2, 6)], strings, 1e-12)


def crosscheck_constraints(keras, fs) -> list[str]:
    """`fs.constraints` against `keras.constraints` (docs/SPEC.md 8d.10)."""
    cases = [("NonNeg", {}), ("UnitNorm", {}), ("UnitNorm", {"axis": [0, 1]}), ("MaxNorm", {}),
             ("MaxNorm", {"max_value": 0.7, "axis": 1}), ("MinMaxNorm", {}),
             ("MinMaxNorm", {"min_value": 0.5, "max_value": 0.8, "rate": 0.3, "axis": -1})]
    strings = ["MaxNorm", "max_norm", "MinMaxNorm", "min_max_norm", "NonNeg", "non_neg", "UnitNorm", "unit_norm",
               "Constraint", "constraint", "maxnorm", "nonneg"]
    return _crosscheck_module(keras, fs, "constraints", cases, [(4, 3), (3, 2, 5)], strings, 1e-14)


def main(argv=None) -> int:
    """`python -m conformance.crosscheck [NAME ...] [-k SUBSTRING] [--cases-only | --functions-only]`: only the golden
    cases, function checks and areas whose name contains one of the NAMEs or SUBSTRING (everything without)."""
    import argparse

    import jax

    parser = argparse.ArgumentParser(prog="conformance.crosscheck")
    parser.add_argument("names", nargs="*", help="run only what has one of these in its name")
    parser.add_argument("-k", default="", help="run only what has this in its name")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cases-only", action="store_true")
    group.add_argument("--functions-only", action="store_true")
    args = parser.parse_args(argv)
    filters = [*args.names, *([args.k] if args.k else [])]

    def wanted(name: str) -> bool:
        return not filters or any(f in name for f in filters)

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    failures = 0
    for case in CASES:
        if case.model_class != "Model" or case.fit is None or args.functions_only or not wanted(case.name):
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
        failures += crosscheck_functions(keras, fs, wanted)
        #: areas compared outside fit(): name -> a check that prints its lines and returns how many differ
        areas = {
            "utils": lambda: report("utils", crosscheck_utils(keras, fs), keras.__version__),
            "compare_layers": compare_layers,
            "distribution": crosscheck_distribution,
            "model_configs": lambda: crosscheck_model_configs(keras, fs),
            "metrics": lambda: compare_metrics_directly(keras, fs),
            "optimizers": lambda: crosscheck_optimizers(keras, fs),
            **{area: (lambda check=check, area=area: report(area, check(keras, fs), keras.__version__))
               for area, check in (("initializers", crosscheck_initializers), ("regularizers", crosscheck_regularizers),
                                   ("constraints", crosscheck_constraints))},
            "replica_variables": lambda: __import__("conformance.crosscheck_replica_variables", fromlist=["c"]).check(),
        }
        for area, check in areas.items():
            if wanted(area):
                failures += check()
    return 1 if failures else 0


# -- merging, reshaping, noise and normalization layers, one by one (docs/SPEC.md 8d.8-8d.11) ------------------------
def _layer_pairs(fs, keras):
    """(fitspec layer, Keras layer, inputs) of every configuration the layer comparison runs."""
    rng = np.random.default_rng(5)
    x2, x3, x4, x5 = (rng.normal(size=shape) for shape in ((3, 6), (3, 5, 4), (2, 5, 4, 3), (2, 3, 4, 2, 3)))
    y3 = rng.normal(size=(3, 4, 6))
    configurations = [
        ("Add", {}, [x3, x3[:, :1] * 2.0, x3[:, 0]]), ("Subtract", {}, [x3, x3 ** 2]),
        ("Multiply", {}, [x3, x3 + 1.0, x3[:, :, :1]]), ("Average", {}, [x3, x3 ** 2, 2.0 * x3]),
        ("Maximum", {}, [x3, -x3, x3[:, 0]]), ("Minimum", {}, [x3, -x3]),
        ("Dot", {"axes": 1}, [x2, x2 ** 2]), ("Dot", {"axes": -1, "normalize": True}, [x3, x3 ** 3]),
        ("Dot", {"axes": (2, 1)}, [x3, y3]), ("Dot", {"axes": (1, 1), "normalize": True}, [x3, x3[:, :, :2]]),
        ("Dot", {"axes": (2, 1)}, [x2[:2, None, :4], x4[:, 0]]),
        ("Concatenate", {"axis": 1}, [x3, x3[:, :2]]),
        ("Permute", {"dims": (2, 1)}, x3), ("Permute", {"dims": (3, 1, 2)}, x4), ("RepeatVector", {"n": 3}, x2),
        ("UpSampling1D", {"size": 3}, x3), ("UpSampling2D", {}, x4),
        ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear"}, x4),
        ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear", "data_format": "channels_first"}, x4),
        ("UpSampling3D", {"size": (1, 2, 3)}, x5), ("UpSampling3D", {"data_format": "channels_first"}, x5),
        ("ZeroPadding1D", {"padding": (2, 1)}, x3), ("ZeroPadding1D", {"padding": 1, "data_format": "channels_first"},
                                                      x3),
        ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, x4), ("ZeroPadding2D", {"data_format": "channels_first"}, x4),
        ("ZeroPadding3D", {"padding": (1, (0, 2), 1)}, x5), ("Cropping1D", {"cropping": (2, 1)}, x3),
        ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, x4),
        ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, x4),
        ("Cropping3D", {"cropping": ((1, 0), (1, 1), (0, 1))}, x5), ("Flatten", {"data_format": "channels_first"}, x4),
        ("Flatten", {}, x4), ("Identity", {}, x3),
        ("UnitNormalization", {}, x3), ("UnitNormalization", {"axis": [1, 2]}, x4),
        ("GroupNormalization", {"groups": 2}, x3), ("GroupNormalization", {"groups": -1, "axis": 1}, x4),
        ("GroupNormalization", {"groups": 2, "axis": -2, "epsilon": 0.1, "center": False}, x4),
        ("RMSNormalization", {}, x3), ("RMSNormalization", {"axis": [1, 2], "epsilon": 0.01}, x3),
        ("ActivityRegularization", {"l1": 0.1, "l2": 0.3}, x3),
        ("GaussianNoise", {"stddev": 0.3, "seed": 1}, x3), ("GaussianDropout", {"rate": 0.3, "seed": 2}, x3),
        ("AlphaDropout", {"rate": 0.3, "seed": 3}, x3),
        ("AlphaDropout", {"rate": 0.4, "noise_shape": (None, 1, 4), "seed": 4}, x3),
        ("SpatialDropout1D", {"rate": 0.4, "seed": 5}, x3), ("SpatialDropout2D", {"rate": 0.5, "seed": 6}, x4),
        ("SpatialDropout2D", {"rate": 0.5, "data_format": "channels_first", "seed": 7}, x4),
        ("SpatialDropout3D", {"rate": 0.5, "seed": 8}, x5),
    ]
    for name, kwargs, inputs in configurations:
        yield name, kwargs, getattr(fs.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), inputs


#: layer -> why its float64 outputs may differ from Keras 3's (on JAX) by up to 1e-6 relative
FLOAT32_IN_KERAS = {"GroupNormalization": "result_type(float64, 'float32') is float32 on JAX",
                    "RMSNormalization": "the same float32 computation"}
#: the Keras get_config keys fitspec does not write, and why
CONFIG_KEYS_NOT_WRITTEN = {"GroupNormalization": ("beta_initializer", "gamma_initializer", "beta_regularizer",
                                                  "gamma_regularizer", "beta_constraint", "gamma_constraint")}


def compare_layers() -> int:
    """Each merging, reshaping, noise and normalization layer against Keras 3 on JAX from the same inputs: outputs
    (float64; the noise layers in inference, and in float32 training with the same seed), output shapes (eager and
    symbolic), config keys and values. Prints a line per layer configuration; returns the number that differ."""
    import keras

    import fitspec_numpy as fs

    failures = 0
    for name, kwargs, ours, theirs, inputs in _layer_pairs(fs, keras):
        problems: list[str] = []
        training_matters = name in ("GaussianNoise", "GaussianDropout", "AlphaDropout") or name.startswith("Spatial")
        out_ours = np.asarray(fs.ops.convert_to_numpy(ours(inputs)))
        out_theirs = np.asarray(theirs(inputs))
        rtol = 1e-6 if name in FLOAT32_IN_KERAS else 1e-12
        if out_ours.shape != out_theirs.shape or not np.allclose(out_ours, out_theirs, rtol=rtol, atol=rtol):
            problems.append(f"outputs differ (max |diff| {np.max(np.abs(out_ours - out_theirs)):.3e})"
                            if out_ours.shape == out_theirs.shape else f"shape {out_ours.shape} != {out_theirs.shape}")
        shapes = [np.shape(x) for x in inputs] if isinstance(inputs, list) else np.shape(inputs)
        if tuple(ours.compute_output_shape(shapes)) != tuple(theirs.compute_output_shape(shapes)):
            problems.append(f"compute_output_shape {ours.compute_output_shape(shapes)} != "
                            f"{theirs.compute_output_shape(shapes)}")
        symbolic = [fs.Input(shape=np.shape(x)[1:]) for x in inputs] if isinstance(inputs, list) else fs.Input(
            shape=np.shape(inputs)[1:])
        fresh = type(ours).from_config(ours.get_config())
        if tuple(fresh(symbolic).shape[1:]) != out_theirs.shape[1:]:
            problems.append(f"symbolic shape {fresh(symbolic).shape} != {out_theirs.shape}")
        config_ours, config_theirs = ours.get_config(), theirs.get_config()
        missing = set(config_theirs) - set(config_ours) - {"name", "trainable", "dtype"} - set(
            CONFIG_KEYS_NOT_WRITTEN.get(name, ()))
        extra = set(config_ours) - set(config_theirs)
        if missing or extra:
            problems.append(f"config keys: missing {sorted(missing)}, extra {sorted(extra)}")
        for key in set(config_ours) & set(config_theirs) - {"name", "trainable", "dtype"}:
            if json_ready(config_ours[key]) != json_ready(config_theirs[key]):
                problems.append(f"config[{key!r}] {config_ours[key]!r} != Keras {config_theirs[key]!r}")
        if training_matters:
            problems += _compare_training_draws(fs, keras, name, kwargs, inputs)
        print(f"{'DIFFERS from' if problems else 'agrees with'} Keras {keras.__version__}: layer {name}({kwargs})"
              + (f" [float64 within {rtol}: {FLOAT32_IN_KERAS[name]}]" if name in FLOAT32_IN_KERAS else ""))
        for problem in problems:
            print(f"    {problem}")
        failures += bool(problems)
    failures += _compare_noise_model_in_inference(fs, keras)
    return failures


def _compare_noise_model_in_inference(fs, keras) -> int:
    """The noise layers' golden model (`layers_noise_training`) from the same weights predicts as Keras's."""
    from conformance import models

    ours, theirs = models.noise_layers(fs), models.noise_layers(keras)
    theirs.set_weights(ours.get_weights())
    x = np.random.default_rng(6).random((8, 6, 4))
    worst = float(np.max(np.abs(ours.predict(x, verbose=0) - np.asarray(theirs.predict(x, verbose=0)))))
    agrees = worst <= 1e-12
    print(f"{'agrees with' if agrees else 'DIFFERS from'} Keras {keras.__version__}: the noise layers' model in "
          f"inference (max |diff| {worst:.1e})")
    return int(not agrees)


def json_ready(value):
    """A config value as JSON has it: tuples as lists."""
    if isinstance(value, (tuple, list)):
        return [json_ready(v) for v in value]
    return value


def _compare_training_draws(fs, keras, name, kwargs, inputs) -> list[str]:
    """In float32 training, from the same seed: the masks (SpatialDropout*, AlphaDropout) bit for bit, the Gaussian
    noise within jax's normal approximation (5.5e-6 relative, docs/SPEC.md R.6), twice (the seed state advances)."""
    import jax

    x = np.asarray(inputs, dtype="float32")
    problems = []
    keras.config.set_floatx("float32")  # a float32 Keras model: its draws in float32, as jax draws without x64
    try:
        with jax.enable_x64(False):
            ours, theirs = getattr(fs.layers, name)(dtype="float32", **kwargs), getattr(keras.layers, name)(**kwargs)
            draws = [(fs.ops.convert_to_numpy(ours(x, training=True)), np.asarray(theirs(x, training=True)))
                     for _ in range(2)]
    finally:
        keras.config.set_floatx("float64")
    for draw, (a, b) in enumerate(draws):
        gaussian = name.startswith("Gaussian")
        if gaussian and not np.allclose(a, b, rtol=2e-5, atol=1e-6):
            problems.append(f"training draw {draw}: noise differs (max |diff| {np.max(np.abs(a - b)):.3e})")
        if not gaussian and not (np.array_equal(a == 0, b == 0) and np.allclose(a, b, rtol=1e-6, atol=1e-7)):
            problems.append(f"training draw {draw}: masks differ")
    return problems
# -- fs.distribution (SPEC 13.1): configuration objects, compared with keras.distribution on JAX ------------------
def crosscheck_distribution() -> int:
    """fitspec_jax.distribution against keras.distribution (Keras distributes on JAX only): the same devices,
    meshes, layouts and DataParallel attributes, and ValueError for the same bad arguments."""
    import keras

    import fitspec_jax as fs

    ours, theirs = fs.distribution, keras.distribution
    problems: list[str] = []

    def same(what, a, b):
        if a != b:
            problems.append(f"{what}: fitspec {a!r} != Keras {b!r}")

    def both_refuse(what, make):
        outcomes = []
        for module in (ours, theirs):
            try:
                make(module)
                outcomes.append("accepted")
            except ValueError:
                outcomes.append("ValueError")
        same(f"{what} refused", *outcomes)

    devices = theirs.list_devices()
    same("list_devices()", ours.list_devices(), devices)
    same("get_device_count()", ours.get_device_count(), theirs.get_device_count())
    meshes = [m.DeviceMesh((len(devices),), ["batch"], devices=devices) for m in (ours, theirs)]
    same("DeviceMesh.shape", tuple(meshes[0].shape), tuple(meshes[1].shape))
    same("DeviceMesh.axis_names", list(meshes[0].axis_names), list(meshes[1].axis_names))
    same("DeviceMesh.devices", meshes[0].devices.tolist(), meshes[1].devices.tolist())
    layouts = [m.TensorLayout(("batch", None), mesh) for m, mesh in zip((ours, theirs), meshes)]
    same("TensorLayout.axes", layouts[0].axes, layouts[1].axes)
    parallel = [m.DataParallel() for m in (ours, theirs)]
    variables = [fs.Variable(np.zeros((2, 3))), keras.Variable(np.zeros((2, 3)))]
    for attribute in ("batch_dim_name", "num_model_replicas", "num_processes", "data_shard_id",
                      "auto_shard_dataset"):
        same(f"DataParallel.{attribute}", *(getattr(p, attribute) for p in parallel))
    same("DataParallel.device_mesh.shape", *(tuple(p.device_mesh.shape) for p in parallel))
    same("get_data_layout((8, 3)).axes", *(p.get_data_layout((8, 3)).axes for p in parallel))
    same("get_variable_layout(v).axes", *(p.get_variable_layout(v).axes for p, v in zip(parallel, variables)))
    same("get_tensor_layout(path)", *(p.get_tensor_layout("dense/kernel") for p in parallel))
    for module, p in zip((ours, theirs), parallel):
        with p.scope():
            inside = module.distribution() is p
        module.set_distribution(None)
        same(f"{module.__name__}: scope() sets and restores", (inside, module.distribution()), (True, None))
    both_refuse("a mesh of more devices than given", lambda m: m.DeviceMesh((2,), ["batch"], devices=devices[:1]))
    both_refuse("a mesh with an axis name per axis missing", lambda m: m.DeviceMesh((1,), ["a", "b"], devices[:1]))
    both_refuse("an empty mesh shape", lambda m: m.DeviceMesh((), ["batch"]))
    both_refuse("a layout naming no axis of its mesh",
                lambda m: m.TensorLayout(("model",), m.DeviceMesh((1,), ["batch"], devices=devices[:1])))
    both_refuse("DataParallel of a non-mesh", lambda m: m.DataParallel(device_mesh="batch"))
    if problems:
        print(f"DIFFERS from Keras {keras.__version__}: distribution")
        for problem in problems:
            print(f"    {problem}")
        return 1
    print(f"agrees with Keras {keras.__version__}: distribution (devices, meshes, layouts, DataParallel, refusals)")
    return 0


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


# -- optimizers, directly: the same variables and gradients into Keras's optimizer and fitspec-numpy's ------------
#: (optimizer, options) run for OPTIMIZER_STEPS steps on two variables (a kernel and a bias) in both libraries
OPTIMIZER_CHECKS = [
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 1e-3, "weight_decay": 0.05}),
    ("Adamax", {"learning_rate": 0.05}),
    ("Adamax", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.8, "clipnorm": 0.5}),
    ("Nadam", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05, "beta_1": 0.8, "weight_decay": 0.1, "global_clipnorm": 1.0}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 0.5, "rho": 0.5, "epsilon": 1e-4, "clipvalue": 0.3}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.7, "initial_accumulator_value": 0.3,
              "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
    ("Lamb", {"learning_rate": 0.05}),
    ("Lamb", {"learning_rate": 0.05, "beta_1": 0.5, "weight_decay": 0.1}),
    ("Adafactor", {"learning_rate": 0.05}),
    ("Adafactor", {"learning_rate": 0.5, "beta_2_decay": -0.5, "clip_threshold": 0.5, "epsilon_2": 0.1}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.05}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.05, "beta_1": 0.8, "warmup_steps": 3, "weight_decay": 0.1}),
    # the options of every optimizer (7.4); `exclude_from_weight_decay` is given to the method of that name
    ("Adam", {"learning_rate": 0.05, "use_ema": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "use_ema": True, "ema_momentum": 0.5,
             "ema_overwrite_frequency": 3}),
    ("Adam", {"learning_rate": 0.05, "gradient_accumulation_steps": 3}),
    ("Nadam", {"learning_rate": 0.05, "gradient_accumulation_steps": 2, "clipnorm": 0.5, "weight_decay": 0.1,
               "use_ema": True, "ema_overwrite_frequency": 2}),
    ("RMSprop", {"learning_rate": 0.01, "loss_scale_factor": 64.0, "global_clipnorm": 1.0}),
    ("AdamW", {"learning_rate": 0.05, "exclude_from_weight_decay": {"var_names": ["bias"]}}),
    ("Lion", {"learning_rate": 0.01, "weight_decay": 0.5, "exclude_from_weight_decay": {"var_list": [0]}}),
    # LossScaleOptimizer around an inner optimizer (its options after the name), gradients inf at steps 3 and 6
    ("LossScaleOptimizer", {"inner": ("Adam", {"learning_rate": 0.05}), "initial_scale": 8.0,
                            "dynamic_growth_steps": 2}),
]
#: steps (from 0) whose first gradient gets an inf in the LossScaleOptimizer checks
NON_FINITE_STEPS = (2, 5)
OPTIMIZER_STEPS = 8
#: optimizer -> why Keras 3 differs from it on purpose (reported, not failed)
OPTIMIZER_DEVIATIONS = {
    "Adafactor": (
        "Keras 3.15 on JAX takes Adafactor's means (rms, the factored moments) of float64 in float32 (ops.mean, "
        "BIT64_TO_BIT32_DTYPE, as for the normalisation cases): 4.1e-8 off after 8 steps at lr 0.5; with float64 "
        "kept, and in Keras 3.15 on TensorFlow as is, it agrees to 3.3e-16"
    ),
}


def crosscheck_functions(keras, fs, wanted=lambda name: True) -> int:
    """The pure-function checks of the losses and activations (float64, RTOL / ATOL); returns the failures."""
    failures = 0

    def report(name: str, problems: list[str]) -> None:
        nonlocal failures
        documented = next((why for key, why in FUNCTION_DEVIATIONS.items() if name.startswith(key)), None)
        if documented and problems:
            documented = f"{problems[0]}; {documented}"
        failures += verdict(keras.__version__, name, problems, documented)

    def filtered(name: str, problems: list[str]) -> None:
        if wanted(name):
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
    print(f"DIFFERS from Keras {keras.__version__}: metric names: {differ}" if differ else
          f"agrees with Keras {keras.__version__}: metric names ({len(ALL_OBJECTS_DICT) - 2} names and aliases)")
    return 1 if differ else 0


def crosscheck_optimizers(keras, fs, only=()) -> int:
    """Each OPTIMIZER_CHECKS entry: variables after every step and `iterations` at the end agree with Keras's
    (rtol 1e-7, atol 1e-8); returns the number that differ."""
    failures = 0
    for name, options in OPTIMIZER_CHECKS:
        label = f"optimizer {name}({', '.join(f'{k}={v}' for k, v in options.items())})"
        if only and not any(part in label for part in only):
            continue
        rng = np.random.default_rng(len(options))
        start = [rng.normal(size=(4, 3)), rng.normal(size=(3,))]
        ours = [fs.Variable(w, name=n) for w, n in zip(start, ("kernel", "bias"))]
        theirs = [keras.Variable(w, name=n) for w, n in zip(start, ("kernel", "bias"))]
        options = dict(options)
        exclude, inner = options.pop("exclude_from_weight_decay", None), options.pop("inner", None)
        if inner is not None:
            ours_opt = fs.optimizers.LossScaleOptimizer(getattr(fs.optimizers, inner[0])(**inner[1]), **options)
            theirs_opt = keras.optimizers.LossScaleOptimizer(getattr(keras.optimizers, inner[0])(**inner[1]),
                                                             **options)
        else:
            ours_opt, theirs_opt = getattr(fs.optimizers, name)(**options), getattr(keras.optimizers, name)(**options)
        if exclude is not None:
            for optimizer, variables in ((ours_opt, ours), (theirs_opt, theirs)):
                optimizer.exclude_from_weight_decay(var_list=[variables[i] for i in exclude.get("var_list", ())],
                                                    var_names=exclude.get("var_names"))
        problems: list[str] = []
        theirs_opt.build(theirs)  # Keras applied statelessly: its stateful LossScaleOptimizer fails eagerly on JAX
        theirs_state, theirs_values = [v.value for v in theirs_opt.variables], [v.value for v in theirs]
        for step in range(OPTIMIZER_STEPS):
            grads = [rng.normal(size=w.shape) for w in start]
            if inner is not None and step in NON_FINITE_STEPS:
                grads[0][0, 0] = np.inf
            ours_opt.apply([fs.ops.convert_to_tensor(g) for g in grads], ours)
            theirs_values, theirs_state = theirs_opt.stateless_apply(
                theirs_state, [keras.ops.convert_to_tensor(g) for g in grads], theirs_values)
            for variable, value in [*zip(theirs, theirs_values), *zip(theirs_opt.variables, theirs_state)]:
                variable.assign(value)
            compare([v.numpy() for v in ours], [np.asarray(v.numpy()) for v in theirs], f"{label} step {step + 1}",
                    problems)
        compare(int(fs.ops.convert_to_numpy(ours_opt.iterations)),
                int(keras.ops.convert_to_numpy(theirs_opt.iterations)),
                f"{label} iterations", problems)
        if problems and name in OPTIMIZER_DEVIATIONS:
            print(f"differs as documented: {label}: {OPTIMIZER_DEVIATIONS[name]}")
        elif problems:
            failures += 1
            print(f"DIFFERS from Keras {keras.__version__}: {label}")
            for problem in problems[:10]:
                print(f"    {problem}")
        else:
            print(f"agrees with Keras {keras.__version__}: {label}, {OPTIMIZER_STEPS} steps")
    if not only or any(part in "configs" for part in only):
        failures += crosscheck_optimizer_configs(keras, fs)
    return failures


#: schedules whose values at steps 0..40 are compared with Keras's (the fit cases cover them at a few steps only)
SCHEDULE_CHECKS = [
    ("CosineDecayRestarts", {"initial_learning_rate": 0.3, "first_decay_steps": 3}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.3, "first_decay_steps": 2, "t_mul": 1.0, "m_mul": 0.5,
                             "alpha": 0.1}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.3, "first_decay_steps": 2, "t_mul": 1.5, "m_mul": 0.8}),
]


def crosscheck_optimizer_configs(keras, fs) -> int:
    """What no fit() case shows: each optimizer's serialized config (defaults and Keras's keys), the names
    `optimizers.get` takes, and the schedules' values and configs, against Keras 3."""
    from fitspec.optimizers import CLASSES

    problems: list[str] = []
    for name in (n for n in CLASSES if n != "LossScaleOptimizer"):  # checked with its inner one, above
        # named alike: Keras numbers a second optimizer of a class (adam_1), fitspec does not
        ours = fs.optimizers.serialize(getattr(fs.optimizers, name)(name=name.lower()))
        theirs = keras.optimizers.serialize(getattr(keras.optimizers, name)(name=name.lower()))
        if ours != theirs:
            problems.append(f"serialize({name}()): {ours} != Keras {theirs}")
        ours = fs.optimizers.deserialize(theirs).get_config()
        if ours != theirs["config"]:
            problems.append(f"deserialize(Keras's {name} config).get_config() differs: {ours}")
        try:
            keras_name = type(keras.optimizers.get(name.lower())).__name__
        except ValueError:
            keras_name = None
        if keras_name not in (None, type(fs.optimizers.get(name.lower())).__name__):
            problems.append(f"optimizers.get({name.lower()!r}) is not {keras_name}")
    for name, kwargs in SCHEDULE_CHECKS:
        ours, theirs = getattr(fs.optimizers.schedules, name)(**kwargs), \
            getattr(keras.optimizers.schedules, name)(**kwargs)
        if fs.optimizers.schedules.serialize(ours) != keras.optimizers.schedules.serialize(theirs):
            problems.append(f"serialize({name}({kwargs})) differs")
        steps = np.arange(41)
        ours = [float(fs.ops.convert_to_numpy(ours(np.int64(s)))) for s in steps]
        theirs = [float(keras.ops.convert_to_numpy(theirs(np.int64(s)))) for s in steps]
        compare(ours, theirs, f"{name}({kwargs}) at steps 0..40", problems)
    for problem in problems:
        print(f"DIFFERS from Keras {keras.__version__}: {problem}")
    if not problems:
        print(f"agrees with Keras {keras.__version__}: optimizer configs ({len(CLASSES)} optimizers), names, "
              f"schedules {sorted({n for n, _ in SCHEDULE_CHECKS})} at steps 0..40")
    return len(problems)


if __name__ == "__main__":
    sys.exit(main())

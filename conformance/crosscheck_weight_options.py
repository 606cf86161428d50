"""Crosscheck areas `initializers` (docs/SPEC.md 3.3), `regularizers` (8d.9) and `constraints` (8d.10)."""

from __future__ import annotations

import math

import numpy as np

from conformance.crosscheck_common import verdict


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


def _area(name, crosscheck):
    def check() -> int:
        import keras

        import fitspec_numpy as fs

        return verdict(name, crosscheck(keras, fs))

    return check


AREAS = {"initializers": _area("initializers", crosscheck_initializers),
         "regularizers": _area("regularizers", crosscheck_regularizers),
         "constraints": _area("constraints", crosscheck_constraints)}

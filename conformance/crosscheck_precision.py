"""Cross-check against Keras 3 of issue 16's mixed precision and remaining optimizers (docs/SPEC.md 3.4, 7.7, 7.8):
dtype policies, layer dtypes and outputs, a fit() under mixed_float16 and mixed_bfloat16 (fitspec on JAX: numpy has
no bfloat16); Muon's steps, with and without its options, and a MultiOptimizer's, variable by variable over 8
steps; MultiOptimizer's config.

`check()` is registered in `conformance.crosscheck.main` (area "precision"), which runs both libraries in float64.
"""

from __future__ import annotations

import numpy as np

RTOL, ATOL = 1e-7, 1e-8
STEPS = 8
#: the variables every check updates: (name, shape); Keras's path is the name outside a layer, fitspec's too
VARIABLES = [("tall_kernel", (4, 3)), ("wide_kernel", (3, 5)), ("bias", (3,)), ("token_embedding", (5, 2)),
             ("head_kernel", (2, 3))]
MUON_CHECKS = [
    {"learning_rate": 0.05},
    {"learning_rate": 0.05, "nesterov": False, "momentum": 0.5, "ns_steps": 3, "rms_rate": None},
    {"learning_rate": 0.05, "exclude_layers": ["head"], "exclude_embeddings": False, "adam_lr_ratio": 0.1,
     "weight_decay": 0.1, "adam_weight_decay": None, "epsilon": 1e-4, "adam_beta_1": 0.5},
    {"learning_rate": 0.05, "muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5, "clipnorm": 0.5, "use_ema": True,
     "gradient_accumulation_steps": 2},
]


def _start(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _, shape in VARIABLES]


def _run(library, make, start, seed: int) -> list[list[np.ndarray]]:
    """The variables' values after each of STEPS applies of the optimizer `make(library)` builds."""
    variables = [library.Variable(w, name=name) for w, (name, _) in zip(start, VARIABLES)]
    optimizer = make(library)
    rng, seen = np.random.default_rng(seed + 100), []
    for _ in range(STEPS):
        grads = [library.ops.convert_to_tensor(rng.normal(size=w.shape)) for w in start]
        optimizer.apply(grads, variables)
        seen.append([np.asarray(v.numpy()) for v in variables])
    return seen, int(np.asarray(library.ops.convert_to_numpy(optimizer.iterations)))


def _compare(label: str, ours, theirs, version: str) -> int:
    (ours, our_iterations), (theirs, their_iterations) = ours, theirs
    problems = [f"step {step + 1} {name}: max |diff| {np.max(np.abs(a - b)):.3e}"
                for step, (mine, keras_values) in enumerate(zip(ours, theirs))
                for (name, _), a, b in zip(VARIABLES, mine, keras_values)
                if not np.allclose(a, b, rtol=RTOL, atol=ATOL)]
    if our_iterations != their_iterations:
        problems.append(f"iterations {our_iterations} != Keras {their_iterations}")
    return _verdict(f"{label}, {STEPS} steps", problems, version)


def _multi(options_of_muon):
    def make(library):
        o = library.optimizers
        return o.MultiOptimizer(o.OptimizerMap(o.Muon(**options_of_muon, name="muon"),
                                               {"head.*": o.SGD(learning_rate=0.1, momentum=0.5, name="sgd"),
                                                "bias": o.Adam(learning_rate=0.05, name="adam")}),
                                name="multi")
    return make


#: float16 keeps 11 significant bits, bfloat16 8 (docs/SPEC.md 3.4)
ROUNDING = {"mixed_float16": 2.0**-11, "mixed_bfloat16": 2.0**-8}


def _policies(keras, fs, version: str) -> int:
    problems = []
    for name in ("mixed_float16", "mixed_bfloat16", "float32", "float64", "float16", "int32"):
        ours, theirs = fs.dtype_policies.DTypePolicy(name), keras.dtype_policies.DTypePolicy(name)
        if (ours.name, ours.compute_dtype, ours.variable_dtype) != (theirs.name, theirs.compute_dtype,
                                                                     theirs.variable_dtype):
            problems.append(f"DTypePolicy({name!r}) dtypes differ")
        if fs.dtype_policies.serialize(ours) != keras.dtype_policies.serialize(theirs):
            problems.append(f"serialize(DTypePolicy({name!r})): {fs.dtype_policies.serialize(ours)} != Keras "
                            f"{keras.dtype_policies.serialize(theirs)}")
    for problem in problems:
        print(f"DIFFERS from Keras {version}: {problem}")
    if not problems:
        print(f"agrees with Keras {version}: dtype policies (names, compute and variable dtypes, serialize)")
    return len(problems)


def _layers(keras, fs, jax_fs, version: str) -> int:
    """Dense and a float32 Activation under each mixed policy, from the same weights: dtypes, configs, outputs."""
    failures, x = 0, np.random.default_rng(3).random((6, 4))
    for name in ROUNDING:
        ours_fs = fs if name == "mixed_float16" else jax_fs
        layers = []
        for library in (ours_fs, keras):
            dense = library.layers.Dense(3, activation="tanh", dtype=name)
            dense(x[:1])
            layers.append(dense)
        layers[1].set_weights(layers[0].get_weights())
        ours, theirs = (np.asarray(lib.ops.convert_to_numpy(layer(x))) for lib, layer in zip((ours_fs, keras), layers))
        problems = [f"{attr}: {getattr(layers[0], attr)} != Keras {getattr(layers[1], attr)}"
                    for attr in ("dtype", "compute_dtype", "variable_dtype") if getattr(layers[0], attr) !=
                    getattr(layers[1], attr)]
        if layers[0].get_config()["dtype"] != layers[1].get_config()["dtype"]:
            problems.append(f"get_config dtype {layers[0].get_config()['dtype']} != Keras "
                            f"{layers[1].get_config()['dtype']}")
        if str(ours.dtype) != str(theirs.dtype):
            problems.append(f"output dtype {ours.dtype} != Keras {theirs.dtype}")
        worst = float(np.max(np.abs(ours.astype("float64") - theirs.astype("float64"))))
        if worst > 2 * ROUNDING[name]:
            problems.append(f"outputs differ by {worst:.3e} (> 2 roundings)")
        label = f"Dense(dtype={name!r}) on {ours_fs.__name__}: dtypes, config, output (max |diff| {worst:.1e})"
        failures += _verdict(label, problems, version)
    return failures


def _mlp(library):
    return library.Sequential([library.Input(shape=(4,)), library.layers.Dense(8, activation="relu"),
                               library.layers.Dense(3, activation="softmax")])


def _mlp_data():
    rng = np.random.default_rng(7)
    return rng.random((24, 4)), np.eye(3)[rng.integers(0, 3, 24)], 0.5


def _convnet_data():
    rng = np.random.default_rng(5)
    return rng.random((24, 6, 6, 1)) * 4.0, np.eye(3)[rng.integers(0, 3, 24)], 0.1


def _mixed_fit(keras, ours_fs, name: str, version: str, build=_mlp, data=_mlp_data, what="a tiny MLP") -> int:
    """`build(library)` (a tiny MLP) under `name` (global policy), SGD (wrapped by compile in a LossScaleOptimizer
    under mixed_float16), 2 epochs from the same weights without shuffling: History and weights within 16 roundings
    of the compute dtype (the tolerance table's row of the policy, docs/SPEC.md 10.4)."""
    x, y, learning_rate = data()
    runs = []
    for library in (ours_fs, keras):
        library.config.set_dtype_policy(name)
        try:
            model = build(library)
        finally:
            library.config.set_dtype_policy(library.config.floatx())
        model.compile(optimizer=library.optimizers.SGD(learning_rate=learning_rate), loss="categorical_crossentropy")
        if runs:
            model.set_weights(runs[0][2])
        start = [np.asarray(w) for w in model.get_weights()]
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
        runs.append((history, [np.asarray(w) for w in model.get_weights()], start, type(model.optimizer).__name__))
    (our_loss, our_weights, start, our_optimizer), (their_loss, their_weights, _, their_optimizer) = runs
    problems = [] if our_optimizer == their_optimizer else [f"optimizer {our_optimizer} != Keras {their_optimizer}"]
    tol = 16 * ROUNDING[name]
    if not np.allclose(our_loss, their_loss, rtol=tol, atol=0):
        problems.append(f"loss {our_loss} != Keras {their_loss}")
    steps = [float(np.max(np.abs((a - s) - (b - s)))) for a, b, s in zip(our_weights, their_weights, start)]
    scale = max(float(np.max(np.abs(b - s))) for b, s in zip(their_weights, start))
    if max(steps) > tol * scale:
        problems.append(f"weights differ by {max(steps):.3e} (steps up to {scale:.3e})")
    label = (f"fit of {what} under {name} on {ours_fs.__name__} ({our_optimizer}): loss and weights within "
             f"{16}·2^{int(np.log2(ROUNDING[name]))} (max |diff| {max(steps):.1e})")
    return _verdict(label, problems, version)


#: the normalization layers compared under each mixed policy (docs/SPEC.md 3.4), with their arguments
NORMALIZATIONS = [("BatchNormalization", {"momentum": 0.5}), ("LayerNormalization", {"axis": [1, 2]}),
                  ("GroupNormalization", {"groups": 2}), ("RMSNormalization", {}), ("UnitNormalization", {})]


def _normalization_layers(keras, fs, jax_fs, version: str) -> int:
    """Each normalization layer under each mixed policy, from the same weights, on float32 inputs of mean 100 (a
    float16 variance would fail): dtypes, the output of a training and an inference call within 2 roundings of
    the compute dtype, BatchNormalization's moving statistics within float32 rounding."""
    failures, x = 0, (np.random.default_rng(4).normal(size=(6, 4, 4)) * 30.0 + 100.0).astype("float32")
    for name in ROUNDING:
        ours_fs = fs if name == "mixed_float16" else jax_fs
        for cls, options in NORMALIZATIONS:
            layers = [getattr(library.layers, cls)(dtype=name, **options) for library in (ours_fs, keras)]
            for library, layer in zip((ours_fs, keras), layers):
                layer(library.ops.convert_to_tensor(x[:1]))
            layers[1].set_weights(layers[0].get_weights())
            problems, worst = [], 0.0
            for training in (True, False):
                outputs = []
                for library, layer in zip((ours_fs, keras), layers):
                    kwargs = {"training": training} if cls == "BatchNormalization" else {}
                    outputs.append(layer(library.ops.convert_to_tensor(x), **kwargs))
                ours, theirs = (np.asarray(lib.ops.convert_to_numpy(y)) for lib, y in zip((ours_fs, keras), outputs))
                if str(ours.dtype) != str(theirs.dtype):
                    problems.append(f"training={training}: output dtype {ours.dtype} != Keras {theirs.dtype}")
                diff = float(np.max(np.abs(ours.astype("float64") - theirs.astype("float64"))))
                worst = max(worst, diff)
                if diff > 2 * ROUNDING[name] * max(1.0, float(np.max(np.abs(theirs.astype("float64"))))):
                    problems.append(f"training={training}: outputs differ by {diff:.3e} (> 2 roundings)")
            for mine, keras_weight in zip(layers[0].weights, layers[1].weights):
                a, b = np.asarray(mine.numpy()), np.asarray(keras_weight.numpy())
                if str(a.dtype) != str(b.dtype) or not np.allclose(a, b, rtol=1e-6, atol=1e-6):
                    problems.append(f"{mine.path}: {a.dtype} {a.ravel()[:3]} != Keras {b.dtype} {b.ravel()[:3]}")
            label = f"{cls}(dtype={name!r}) on {ours_fs.__name__}: dtypes, outputs, weights (max |diff| {worst:.1e})"
            failures += _verdict(label, problems, version)
    return failures


def _verdict(label: str, problems: list[str], version: str) -> int:
    if problems:
        print(f"DIFFERS from Keras {version}: {label}")
        for problem in problems[:10]:
            print(f"    {problem}")
        return 1
    print(f"agrees with Keras {version}: {label}")
    return 0


def check() -> int:
    import keras

    import fitspec_jax
    import fitspec_numpy as fs

    version, failures = keras.__version__, 0
    failures += _policies(keras, fs, version)
    failures += _layers(keras, fs, fitspec_jax, version)
    failures += _mixed_fit(keras, fs, "mixed_float16", version)
    fitspec_jax.config.set_floatx(keras.config.floatx())
    failures += _mixed_fit(keras, fitspec_jax, "mixed_bfloat16", version)
    failures += _normalization_layers(keras, fs, fitspec_jax, version)
    from conformance.models import normalized_convnet

    for name in ROUNDING:  # on JAX: numpy's float16 kernels part from XLA's (the golden case's DEVIATIONS entry)
        failures += _mixed_fit(keras, fitspec_jax, name, version, normalized_convnet, _convnet_data,
                               "a convnet with BatchNormalization and LayerNormalization")
    for i, options in enumerate(MUON_CHECKS):
        label = f"optimizer Muon({', '.join(f'{k}={v}' for k, v in options.items())})"
        start = _start(i)
        make = lambda library, options=options: library.optimizers.Muon(**options)  # noqa: E731
        failures += _compare(label, _run(fs, make, start, i), _run(keras, make, start, i), version)
    for i, options in enumerate(MUON_CHECKS[:2]):
        label = (f"optimizer MultiOptimizer(OptimizerMap(Muon({options}), {{head.*: SGD(momentum 0.5), "
                 "bias: Adam}))")
        start = _start(10 + i)
        failures += _compare(label, _run(fs, _multi(options), start, i), _run(keras, _multi(options), start, i),
                             version)
    ours, theirs = _multi({"learning_rate": 0.05})(fs), _multi({"learning_rate": 0.05})(keras)
    our_config, their_config = fs.optimizers.serialize(ours), keras.optimizers.serialize(theirs)
    rebuilt = fs.optimizers.deserialize(their_config).get_config()
    if our_config != their_config or rebuilt != their_config["config"]:
        failures += 1
        print(f"DIFFERS from Keras {version}: MultiOptimizer config\n    ours  {our_config}\n    Keras {their_config}"
              f"\n    Keras's rebuilt by fitspec {rebuilt}")
    else:
        print(f"agrees with Keras {version}: MultiOptimizer serialize, and deserialize of Keras's config")
    return failures

"""ConvLSTM1D/2D/3D against Keras 3 (JAX backend) from the same weights and inputs: outputs and final states over
the options (float64, relu / hard_sigmoid, which Keras computes exactly; tanh / sigmoid within Keras's JAX tanh
error), the dropout masks in training (float32, bit for bit: the same seed states and jax.random's bernoulli), the
constructor's arguments and the config's keys (docs/SPEC.md RNN.8)."""

from __future__ import annotations

import inspect

import numpy as np

from conformance.crosscheck_common import verdict
from conformance.crosscheck_recurrent import float64_frameworks

#: activations Keras 3 on JAX computes exactly in float64 (its tanh is off numpy's, docs/SPEC.md 11)
EXACT = {"activation": "relu", "recurrent_activation": "hard_sigmoid"}
TANH_TOLERANCE = {"rtol": 3e-7, "atol": 3e-7}
EXACT_TOLERANCE = {"rtol": 1e-10, "atol": 1e-10}
#: float32 training draws: the masks bit for bit, the products within float32 rounding
FLOAT32_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}

#: (name, kwargs, input shape (batch, time, *spatial, channels))
CONFIGURATIONS = [
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, (2, 3, 7, 2)),
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same", "return_sequences": True,
                    "return_state": True}, (2, 4, 7, 2)),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "go_backwards": True,
                    "return_sequences": True}, (2, 3, 8, 1)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True}, (2, 3, 5, 4, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": (2, 3), "strides": (2, 1), "return_state": True,
                    "unit_forget_bias": False}, (1, 3, 6, 5, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "return_sequences": True},
     (2, 3, 2, 4, 5)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "use_bias": False}, (2, 2, 4, 4, 3)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True,
                    "return_state": True}, (1, 2, 3, 4, 3, 2)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "data_format": "channels_first"}, (1, 2, 2, 3, 3, 4)),
]


def _outputs(layer, x, **kwargs) -> list:
    out = layer(x, **kwargs)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def _compare(ours, theirs, tolerance) -> list[str]:
    if len(ours) != len(theirs):
        return [f"{len(ours)} outputs, Keras {len(theirs)}"]
    problems = []
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a.shape != b.shape:
            problems.append(f"output {i}: shape {a.shape}, Keras {b.shape}")
        elif not np.allclose(a, b, **tolerance):
            problems.append(f"output {i}: max |diff| {np.max(np.abs(a - b)):.3e}")
    return problems


def _pair(fs, keras, name, kwargs, x, dtype=None):
    ours = getattr(fs.layers, name)(**kwargs, **({"dtype": dtype} if dtype else {}))
    theirs = getattr(keras.layers, name)(**kwargs)
    ours(x)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _compare_outputs(fs, keras, name, kwargs, shape, exact) -> list[str]:
    x = np.random.default_rng(len(shape) + kwargs["filters"]).normal(size=shape)
    kwargs = {**kwargs, **(EXACT if exact else {})}
    ours, theirs = _pair(fs, keras, name, kwargs, x)
    return _compare(_outputs(ours, fs.ops.convert_to_tensor(x)), _outputs(theirs, x),
                    EXACT_TOLERANCE if exact else TANH_TOLERANCE)


def _compare_training_draws(fs, keras, name, kwargs, shape) -> list[str]:
    """Float32, dropout and recurrent_dropout, seeded: two training calls (the seed state advances between them)."""
    import jax

    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    kwargs = {**kwargs, "dropout": 0.3, "recurrent_dropout": 0.2, "seed": 11}
    keras.config.set_floatx("float32")
    try:
        with jax.enable_x64(False):
            ours, theirs = _pair(fs, keras, name, kwargs, x, dtype="float32")
            draws = [(_outputs(ours, x, training=True), _outputs(theirs, x, training=True)) for _ in range(2)]
    finally:
        keras.config.set_floatx("float64")
    return [f"training call {i}: {p}" for i, (a, b) in enumerate(draws) for p in _compare(a, b, FLOAT32_TOLERANCE)]


def _compare_signature(fs, keras, name) -> list[str]:
    ours = [p for p in inspect.signature(getattr(fs.layers, name)).parameters if p != "kwargs"]
    theirs = [p for p in inspect.signature(getattr(keras.layers, name)).parameters if p != "kwargs"]
    missing = [p for p in theirs if p not in ours]
    return [f"arguments Keras takes and fitspec does not: {missing}"] if missing else []


def _compare_config(fs, keras, name, kwargs, shape) -> list[str]:
    x = np.zeros(shape)
    ours, theirs = _pair(fs, keras, name, kwargs, x)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    missing = sorted(set(theirs_config) - set(ours_config) - {"zero_output_for_mask", "unroll"})
    problems = [f"config keys Keras writes and fitspec does not: {missing}"] if missing else []
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "dropout",
                "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful"):
        a, b = ours_config.get(key), theirs_config.get(key)
        if (list(a) if isinstance(a, (list, tuple)) else a) != (list(b) if isinstance(b, (list, tuple)) else b):
            problems.append(f"config[{key!r}] {a!r} != Keras {b!r}")
    return problems


def check() -> int:
    fs, keras = float64_frameworks(21)
    failures = 0
    for name, kwargs, shape in CONFIGURATIONS:
        for exact in (True, False):
            label = "relu/hard_sigmoid, 1e-10" if exact else "tanh/sigmoid, 3e-7 (SPEC 11: Keras's JAX tanh)"
            failures += verdict(f"conv_lstm ({label}): {name}({kwargs}) on {shape}",
                                _compare_outputs(fs, keras, name, kwargs, shape, exact))
    for name, kwargs, shape in CONFIGURATIONS[1], CONFIGURATIONS[5], CONFIGURATIONS[7]:
        failures += verdict(f"conv_lstm float32 training draws: {name}({kwargs}) dropout=0.3, recurrent_dropout=0.2",
                            _compare_training_draws(fs, keras, name, kwargs, shape))
    for name, kwargs, shape in CONFIGURATIONS[0], CONFIGURATIONS[3], CONFIGURATIONS[7]:
        failures += verdict(f"conv_lstm arguments of {name}", _compare_signature(fs, keras, name))
        failures += verdict(f"conv_lstm config of {name}", _compare_config(fs, keras, name, kwargs, shape))
    return failures

"""Keras 3 on the backend under test, when it is installed (never a dependency): the same models, for comparison.

Keras picks its backend from KERAS_BACKEND when it is first imported; it is set here, only if Keras
is installed and not imported yet. Keras runs with its own defaults (jit_compile="auto").
"""

from __future__ import annotations

import importlib.util
import os
import sys

KERAS_BACKENDS = ("jax", "tensorflow", "torch")


def available(backend: str) -> bool:
    """Whether Keras 3 is importable here and runs on `backend`."""
    if backend not in KERAS_BACKENDS or importlib.util.find_spec("keras") is None:
        return False
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
    import keras

    return int(keras.__version__.split(".")[0]) >= 3 and keras.backend.backend() == backend


def version() -> str | None:
    keras = sys.modules.get("keras")
    return getattr(keras, "__version__", None)


def build(spec, fs, steps_per_execution: int):
    """The Keras model of `spec`, starting from the fitspec model's initial weights, compiled as fitspec's is."""
    import keras

    from benchmarks.models import apply_layers

    weights = spec.build(fs).get_weights()
    inputs = keras.Input(shape=spec.input_shape)
    model = keras.Model(inputs, apply_layers(keras.layers, spec, inputs))
    model.set_weights(weights)
    model.compile(optimizer=spec.optimizer, loss=spec.loss, metrics=[spec.metric],
                  steps_per_execution=steps_per_execution)
    try:
        model.make_train_function()  # where Keras refuses the setting (torch: "`steps_per_execution` must be 1")
    except ValueError as error:
        raise NotImplementedError(f"Keras {keras.__version__} on {keras.backend.backend()}: {error}") from error
    return model

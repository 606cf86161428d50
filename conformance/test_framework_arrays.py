"""Any framework's arrays are accepted wherever numpy arrays are, with the numbers numpy arrays give.

A TensorFlow tensor or variable, a torch tensor (one that requires grad included) or a JAX array
goes into every backend's model call, `fs.ops.convert_to_tensor`, fit, evaluate and predict.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np
import pytest

FRAMEWORKS = {
    "tensorflow": lambda a: importlib.import_module("tensorflow").constant(a),
    "tensorflow variable": lambda a: importlib.import_module("tensorflow").Variable(a),
    "torch": lambda a: importlib.import_module("torch").tensor(a),
    "torch requiring grad": lambda a: importlib.import_module("torch").tensor(a, requires_grad=True),
    "jax": lambda a: importlib.import_module("jax.numpy").asarray(a),
}


def make(kind, array):
    module = kind.split(" ")[0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed here: its arrays cannot be made")
    return FRAMEWORKS[kind](array)


def host(tensor) -> np.ndarray:
    """What the tensor holds, as numpy (JAX may hold float64 as float32: compare with what it holds)."""
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    return np.asarray(tensor.numpy() if hasattr(tensor, "numpy") else tensor)


def model_of(fs):
    fs.utils.set_random_seed(7)
    model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3, activation="tanh"), fs.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("kind", list(FRAMEWORKS))
def test_another_frameworks_arrays_give_what_numpy_arrays_give(fs, kind):
    rng = np.random.default_rng(3)
    x, y = rng.random((6, 4)).astype(fs.config.floatx()), rng.random((6, 2)).astype(fs.config.floatx())
    tx, ty = make(kind, x), make(kind, y)
    hx, hy = host(tx), host(ty)
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(fs.ops.convert_to_tensor(tx)), hx)
    model, reference = model_of(fs), model_of(fs)
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(model(tx)), fs.ops.convert_to_numpy(reference(hx)))
    np.testing.assert_array_equal(model.predict(tx, verbose=0), reference.predict(hx, verbose=0))
    model.fit(tx, ty, batch_size=2, epochs=2, shuffle=False, verbose=0)
    reference.fit(hx, hy, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.evaluate(tx, ty, verbose=0) == reference.evaluate(hx, hy, verbose=0)

"""What is private to the numpy reference: its ops are complete, float64 by default, floatx per backend."""

import numpy as np

import fitspec_numpy as fs
from fitspec.ops_protocol import missing_ops


def test_every_protocol_op_is_implemented():
    assert missing_ops(fs.ops) == []


def test_float64_is_the_default_and_float32_is_available():
    assert fs.backend.default_floatx == "float64"
    fs.config.set_floatx("float32")
    try:
        model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
        assert model.get_weights()[0].dtype == np.float32
        assert model.predict(np.ones((1, 2)), verbose=0).dtype == np.float32
    finally:
        fs.config.set_floatx("float64")


def test_softmax_and_sigmoid_are_stable_for_large_inputs():
    x = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(fs.ops.softmax(x), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(fs.ops.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_the_guide_programs_run(capsys, monkeypatch):
    """The JAX guide's programs (examples/custom_train_step_numpy.py runs them) on the numpy reference."""
    import importlib
    import pathlib

    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).resolve().parents[3] / "examples"))
    programs = importlib.import_module("guide_programs.custom_train_step")
    models = importlib.import_module("guide_programs.custom_train_step_models_stateless")
    programs.main(fs, models.guide_models(fs, fs.value_and_grad))
    out = capsys.readouterr().out
    assert "Epoch 5/5" in out and " - loss: " in out and " - mae: " in out

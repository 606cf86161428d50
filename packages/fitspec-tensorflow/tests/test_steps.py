"""Compiled steps: tf.function, XLA, run_eagerly, steps_per_execution fused in one graph, retracing."""

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs
from fitspec.execution import TRAIN


@pytest.fixture
def float64():
    fs.config.set_floatx("float64")
    yield
    fs.config.set_floatx("float32")


@pytest.fixture
def compiled_runs(monkeypatch):
    """Every `run` the backend's compile returns, with its step kind, to read its tf.function's tracing count."""
    runs = []
    original = fs.backend.compile

    def recording(kind, run_one, run_many, model):
        run = original(kind, run_one, run_many, model)
        runs.append((kind, run))
        return run

    monkeypatch.setattr(fs.backend, "compile", recording)
    return runs


def data(samples=90, features=5):
    rng = np.random.default_rng(0)
    return rng.random((samples, features)), rng.random((samples, 2))


def fitted(epochs=2, **compile_kwargs):
    fs.utils.set_random_seed(7)
    x, y = data()
    model = fs.Sequential([fs.Input(shape=(5,)), fs.layers.Dense(4, activation="tanh"), fs.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], **compile_kwargs)
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=True, verbose=0)
    return model, history.history


def test_fused_steps_give_the_same_result_as_single_steps(float64):
    single, single_history = fitted(steps_per_execution=1)
    fused, fused_history = fitted(steps_per_execution=4)  # 12 batches: 3 executions, the last with a partial batch
    for a, b in zip(single.get_weights(), fused.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(single_history["loss"], fused_history["loss"], rtol=1e-12)
    np.testing.assert_allclose(single_history["mae"], fused_history["mae"], rtol=1e-12)


def test_fused_predict_returns_every_batch_in_order(float64):
    model, _ = fitted(epochs=1, steps_per_execution=3)
    x, _ = data()
    expected = model(x).numpy()
    np.testing.assert_allclose(model.predict(x, batch_size=8, verbose=0), expected, rtol=1e-12)


def test_fused_steps_run_in_a_loop_inside_one_graph(compiled_runs):
    traced = []

    class Counting(fs.Model):
        def train_step(self, data):
            traced.append(1)
            return super().train_step(data)

    x, y = data(samples=64)
    inputs = fs.Input(shape=(5,))
    model = Counting(inputs, fs.layers.Dense(2)(inputs))
    model.compile(optimizer="adam", loss="mse", steps_per_execution=8)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    (train_run,) = [run for kind, run in compiled_runs if kind is TRAIN]
    batches = [(tf.constant(x[:8], "float32"), tf.constant(y[:8], "float32"))] * 8
    graph = train_run.concrete_function(batches).graph
    assert "While" in {op.type for op in graph.get_operations()}
    assert len(traced) == 2  # traced once before the loop and once as its body, not 8 times unrolled


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_one_trace_per_batch_signature_not_per_epoch(compiled_runs, steps_per_execution):
    fitted(epochs=3, steps_per_execution=steps_per_execution)
    (train_run,) = [run for kind, run in compiled_runs if kind is TRAIN]
    # one signature for the full executions, one for the epoch's last (partial) one
    assert train_run.tracing_count() == 2


def test_callbacks_run_once_per_execution():
    seen = []

    class Record(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    x, y = data()
    model = fs.Sequential([fs.Input(shape=(5,)), fs.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=5)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Record()])
    assert seen == [4, 9, 11]


def test_run_eagerly_runs_the_step_eagerly_and_compiled_steps_do_not():
    modes = []

    class Recording(fs.Model):
        def train_step(self, data):
            modes.append(tf.executing_eagerly())
            return super().train_step(data)

    x, y = data(samples=16)
    for run_eagerly in (True, False):
        inputs = fs.Input(shape=(5,))
        model = Recording(inputs, fs.layers.Dense(2)(inputs))
        model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
        modes.clear()
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        assert modes == ([True] * 4 if run_eagerly else [False])


def test_jit_compile_true_agrees_with_the_plain_graph(float64):
    plain, plain_history = fitted(jit_compile=False, steps_per_execution=2)
    xla, xla_history = fitted(jit_compile=True, steps_per_execution=2)
    for a, b in zip(plain.get_weights(), xla.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(plain_history["loss"], xla_history["loss"], rtol=1e-9)


def test_evaluate_matches_a_manual_computation(float64):
    model, _ = fitted(epochs=1, steps_per_execution=4)
    x, y = data()
    loss, mae = model.evaluate(x, y, batch_size=8, verbose=0)
    y_pred = model(x).numpy()
    np.testing.assert_allclose(loss, np.mean((y_pred - y) ** 2), rtol=1e-12)
    np.testing.assert_allclose(mae, np.mean(np.abs(y_pred - y)), rtol=1e-12)

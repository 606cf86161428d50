"""The execution layer (docs/SPEC.md 8.10): kinds of steps, logs read only when used, the trainer's errors."""

from __future__ import annotations

import numpy as np
import pytest

from fitspec.execution import KINDS, PREDICT, TEST, TRAIN


def dense_model(fs, cls=None, **compile_kwargs):
    fs.utils.set_random_seed(5)
    inputs = fs.Input(shape=(3,))
    model = (cls or fs.Model)(inputs, fs.layers.Dense(1)(inputs))
    if compile_kwargs:
        model.compile(**compile_kwargs)
    return model


def data(samples=40):
    rng = np.random.default_rng(1)
    return rng.random((samples, 3)), rng.random((samples, 1))


def test_the_step_kinds_name_their_method_and_what_they_train():
    assert [(k.name, k.method, k.trains) for k in KINDS] == [
        ("train", "train_step", True), ("test", "test_step", False), ("predict", "predict_step", False)]
    assert PREDICT.collects_outputs and not TRAIN.collects_outputs and not TEST.collects_outputs
    assert PREDICT.returned_parts == ("non_trainable_variables",)
    assert TRAIN.returned_parts == TRAIN.state_parts and TEST.returned_parts == TEST.state_parts


def counting_fetches(fs, monkeypatch) -> list:
    fetches = []
    fetch = fs.backend.fetch_logs
    monkeypatch.setattr(fs.backend, "fetch_logs", lambda logs: fetches.append(1) or fetch(logs))
    return fetches


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_fit_reads_the_logs_once_an_epoch_when_no_callback_reads_batch_logs(fs, monkeypatch, steps_per_execution):
    """Logs stay on the device during the epoch (dispatch runs ahead, as a hand-written loop's does): the last
    execution's logs and the metrics' results are read at the epoch's end, whatever the number of steps."""
    model = dense_model(fs, optimizer="sgd", loss="mse", metrics=["mae"], steps_per_execution=steps_per_execution)
    fetches = counting_fetches(fs, monkeypatch)
    history = model.fit(*data(), batch_size=4, epochs=3, verbose=0).history  # 10 steps an epoch
    assert len(fetches) == 3 * 2
    assert all(type(v) is float for values in history.values() for v in values)


def test_a_callback_that_reads_batch_logs_gets_floats_after_every_execution(fs, monkeypatch):
    seen = []

    class Reader(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, sorted(logs), type(logs["loss"])))

    model = dense_model(fs, optimizer="sgd", loss="mse", metrics=["mae"], steps_per_execution=2)
    fetches = counting_fetches(fs, monkeypatch)
    model.fit(*data(), batch_size=4, epochs=1, verbose=0, callbacks=[Reader()])
    assert seen == [(b, ["loss", "mae"], float) for b in (1, 3, 5, 7, 9)]
    assert len(fetches) == 5 + 1  # one per execution, then the metrics' results at the epoch's end


def test_batch_logs_equal_the_metrics_after_that_batch(fs):
    """Deferred reading returns the values of that execution, not of a later one."""
    seen, results = [], []

    class Reader(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))
            results.append({m.name: float(np.asarray(m.result())) for m in self.model.metrics})

    model = dense_model(fs, optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(*data(), batch_size=8, epochs=2, verbose=0, callbacks=[Reader()])
    for logs, result in zip(seen, results):
        assert logs.keys() == result.keys()
        np.testing.assert_allclose(list(logs.values()), list(result.values()), rtol=1e-6)


@pytest.mark.parametrize("method", ["compute_loss", "compute_metrics", "evaluate", "fit", "train_on_batch"])
def test_the_trainer_before_compile_is_a_clear_error_naming_the_method(fs, method):
    model = dense_model(fs)
    x, y = data(8)
    calls = {
        "compute_loss": lambda: model.compute_loss(x, y, model(x)),
        "compute_metrics": lambda: model.compute_metrics(x, y, model(x)),
        "evaluate": lambda: model.evaluate(x, y, verbose=0),
        "fit": lambda: model.fit(x, y, verbose=0),
        "train_on_batch": lambda: model.train_on_batch(x, y),
    }
    with pytest.raises(RuntimeError, match=rf"^{method}: the model must be compiled first; call `model.compile"):
        calls[method]()


def test_a_model_declares_its_compile_attributes_before_compile(fs):
    model = dense_model(fs)
    assert model.compiled is False and model.optimizer is None and model.loss is None
    assert model.steps_per_execution == 1 and model.run_eagerly is False and model.jit_compile == "auto"
    assert model.metrics == []


def test_make_train_function_is_the_execution_of_the_train_steps(fs):
    model = dense_model(fs, optimizer="sgd", loss="mse")
    x, y = data(8)
    model.fit(x, y, verbose=0)
    assert model.make_train_function() is model.make_train_function()
    assert model.make_train_function(force=True) is not model.make_test_function()
    predictions = model.make_predict_function()([(x[:4],), (x[4:],)])
    assert len(predictions) == 2
    np.testing.assert_allclose(np.concatenate([np.asarray(p) for p in predictions]), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_a_class_weight_error_of_train_on_batch_names_train_on_batch(fs):
    model = dense_model(fs, optimizer="sgd", loss="mse")
    x, y = data(8)
    with pytest.raises(ValueError, match=r"^train_on_batch: argument `class_weight`"):
        model.train_on_batch(x, np.zeros((8, 1)), class_weight={1: 2.0})

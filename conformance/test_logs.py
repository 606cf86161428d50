"""Logs: a metric whose result is a vector is logged as Keras 3 logs it (a numpy array in the logs and in History,
its mean on the progress bar, `"[a, b]"` in a CSV file), and the epoch-end results equal the eager ones."""

from __future__ import annotations

import csv

import numpy as np

from conformance.assertions import assert_close
from conformance.guide_models import for_backend
from conformance.tolerances import tolerance

RNG = np.random.default_rng(61)
X = RNG.random((26, 4))
Y = np.eye(3)[RNG.integers(0, 3, size=26)]
X_VAL, Y_VAL = RNG.random((9, 4)), np.eye(3)[RNG.integers(0, 3, size=9)]


def vector_model(fs, steps_per_execution=1):
    fs.utils.set_random_seed(5)
    model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=fs.optimizers.SGD(0.1), loss="categorical_crossentropy",
                  metrics=[fs.metrics.F1Score(average=None, threshold=0.3),
                           fs.metrics.Precision(thresholds=[0.3, 0.5]), fs.metrics.R2Score(class_aggregation=None),
                           fs.metrics.BinaryAccuracy()],
                  steps_per_execution=steps_per_execution)
    return model


def eager(fs, metric, y, p):
    metric.update_state(y, p)
    return np.asarray(fs.ops.convert_to_numpy(metric.result()), dtype=np.float64)


def test_a_vector_metric_is_a_numpy_array_per_epoch_in_history(fs, precision, device):
    """Through executions of 3 steps (the last one partial) and with validation; the numbers of 1 step each."""
    fused = vector_model(fs, steps_per_execution=3).fit(X, Y, batch_size=5, epochs=2, verbose=0,
                                                         validation_data=(X_VAL, Y_VAL), shuffle=False).history
    shapes = {"f1_score": (3,), "precision": (2,), "r2_score": (3,)}
    for key, shape in shapes.items():
        for name in (key, f"val_{key}"):
            assert len(fused[name]) == 2, name
            assert all(type(v) is np.ndarray and v.shape == shape for v in fused[name]), (name, fused[name])
    assert all(type(v) is float for v in fused["loss"] + fused["binary_accuracy"] + fused["val_binary_accuracy"])
    single = vector_model(fs).fit(X, Y, batch_size=5, epochs=2, verbose=0, shuffle=False).history
    assert sorted(single) == sorted(k for k in fused if not k.startswith("val_"))
    for key, values in single.items():
        assert_close(np.asarray(fused[key]), np.asarray(values), *tolerance(precision, device), key)


def test_evaluate_logs_a_vector_result_as_the_metric_computes_it(fs, precision, device):
    model = vector_model(fs)
    logs = model.evaluate(X, Y, batch_size=7, verbose=0, return_dict=True)
    p = model.predict(X, verbose=0)
    rtol, atol = tolerance(precision, device)
    assert_close(logs["f1_score"], eager(fs, fs.metrics.F1Score(average=None, threshold=0.3), Y, p), rtol, atol,
                 "f1_score")
    assert_close(logs["precision"], eager(fs, fs.metrics.Precision(thresholds=[0.3, 0.5]), Y, p), rtol, atol,
                 "precision")
    assert_close(logs["r2_score"], eager(fs, fs.metrics.R2Score(class_aggregation=None), Y, p), rtol, atol,
                 "r2_score")
    values = model.evaluate(X, Y, batch_size=7, verbose=0)  # in the order of model.metrics_names
    assert len(values) == len(model.metrics_names) == 5
    for name, value in zip(model.metrics_names, values):
        assert np.array_equal(np.asarray(value), np.asarray(logs[name])), name


def test_train_and_test_on_batch_return_a_vector_result_as_an_array(fs):
    model = vector_model(fs)
    logs = model.train_on_batch(X, Y, return_dict=True)
    assert type(logs["f1_score"]) is np.ndarray and logs["f1_score"].shape == (3,)
    assert type(logs["loss"]) is float
    values = model.test_on_batch(X, Y)
    assert [np.shape(v) for v in values] == [(), (3,), (2,), (3,), ()]


def test_a_step_returning_an_array_logs_it_as_an_array(fs):
    inputs = fs.Input(shape=(3,))
    model = for_backend(fs)["NonScalarLogs"](inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    seen = []

    class Record(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model.fit(np.zeros((10, 3)), np.zeros((10, 1)), batch_size=5, verbose=0, callbacks=[Record()])
    assert len(seen) == 2 and all(type(v) is np.ndarray and np.array_equal(v, np.ones((2, 3))) for v in seen)


def test_the_progress_bar_and_csv_logger_show_a_vector_as_keras(fs, capsys, tmp_path):
    """The bar shows a vector's mean; CSVLogger writes `"[a, b]"` (str of each element), its quotes included."""
    path = tmp_path / "log.csv"
    history = vector_model(fs).fit(X, Y, batch_size=13, epochs=2, verbose=2,
                                   callbacks=[fs.callbacks.CSVLogger(str(path))]).history
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert f" - f1_score: {float(np.mean(history['f1_score'][1])):.4f}" in line, line
    assert f" - loss: {history['loss'][1]:.4f}" in line, line
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for epoch, row in enumerate(rows):
        assert row["f1_score"] == f'"[{", ".join(map(str, history["f1_score"][epoch]))}]"'
        assert float(row["loss"]) == history["loss"][epoch]


def test_epoch_end_results_equal_the_eager_results_bit_for_bit(fs):
    """The epoch's last logs come from the results computed at its end (compiled on JAX); the metrics' state is
    kept after fit(), so the eager results of that state must be the same numbers, bit for bit."""
    model = vector_model(fs)
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0).history
    for name, value in model.get_metrics_result().items():
        eager_value = np.asarray(fs.ops.convert_to_numpy(value))
        logged = np.asarray(history[name][-1], dtype=eager_value.dtype)
        assert np.array_equal(logged.reshape(eager_value.shape), eager_value), (name, logged, eager_value)

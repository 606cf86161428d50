"""The user API: the Keras namespace shape, metric order and names, History and evaluate formats."""

from __future__ import annotations

import numpy as np

NAMESPACE = ["Model", "Sequential", "Input", "layers", "losses", "metrics", "optimizers", "callbacks", "ops",
             "utils", "models", "initializers", "activations", "config"]


def guide_model(fs, **compile_kwargs):
    inputs = fs.Input(shape=(4,))
    outputs = fs.layers.Dense(1, name="out")(inputs)
    model = fs.Model(inputs, outputs)
    model.compile(**{"optimizer": "adam", "loss": "mse", "metrics": ["mae"], **compile_kwargs})
    return model


def test_the_namespace_has_the_keras_shape(fs):
    for name in NAMESPACE:
        assert hasattr(fs, name), f"fs.{name} is missing"
    assert issubclass(fs.models.Sequential, fs.Model)
    assert issubclass(fs.layers.Dense, fs.layers.Layer)


def test_compile_defaults_to_rmsprop(fs):
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    model.compile(loss="mse")
    assert type(model.optimizer).__name__ == "RMSprop"


def test_metrics_are_the_loss_tracker_then_compiled_then_attached(fs):
    model = guide_model(fs)
    model.extra = fs.metrics.Mean(name="extra")
    model.fit(np.ones((8, 4)), np.ones((8, 1)), verbose=0, epochs=1)
    assert [m.name for m in model.metrics] == ["loss", "mae", "extra"]
    assert model.metrics_names == ["loss", "mae", "extra"]


def test_history_holds_one_value_per_epoch_and_evaluate_returns_the_guides_list(fs):
    model = guide_model(fs)
    x, y = np.random.default_rng(0).random((20, 4)), np.random.default_rng(1).random((20, 1))
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    results = model.evaluate(x, y, verbose=0)
    assert isinstance(results, list) and len(results) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "mae"] and as_dict["loss"] == results[0]


def test_logged_loss_is_the_epoch_running_mean_weighted_by_batch_size(fs, precision):
    model = guide_model(fs, optimizer=fs.optimizers.SGD(learning_rate=0.0))
    x = np.arange(20.0).reshape(5, 4) / 10
    y = np.zeros((5, 1))
    history = model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False)
    per_sample = np.mean((model.predict(x, verbose=0) - y) ** 2, axis=-1)
    expected = per_sample.mean()  # batches of 2, 2, 1 weighted by their sizes = the plain mean
    tol = 1e-12 if precision == "float64" else 1e-5
    np.testing.assert_allclose(history.history["loss"], [expected, expected], rtol=tol)


def test_metrics_reset_at_every_epoch_and_evaluate(fs):
    model = guide_model(fs, optimizer=fs.optimizers.SGD(learning_rate=0.0))
    x, y = np.ones((6, 4)), np.zeros((6, 1))
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["loss"][0] == history.history["loss"][1]
    first = model.evaluate(x, y, verbose=0, return_dict=True)
    second = model.evaluate(x, y, verbose=0, return_dict=True)
    assert first == second


def test_get_and_set_weights_round_trip_as_numpy(fs, precision):
    model = guide_model(fs)
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 1), (1,)]
    assert all(isinstance(w, np.ndarray) and w.dtype == np.dtype(precision) for w in weights)
    model.set_weights([w + 1 for w in weights])
    np.testing.assert_array_equal(model.get_weights()[0], weights[0] + 1)


def test_trainable_and_non_trainable_variables(fs):
    model = guide_model(fs)
    assert [v.shape for v in model.trainable_variables] == [(4, 1), (1,)]
    assert model.non_trainable_variables == []
    model.get_layer("out").trainable = False
    assert model.trainable_variables == [] and len(model.non_trainable_variables) == 2


def test_predict_concatenates_batches_including_the_last_partial_one(fs, precision):
    model = guide_model(fs)
    x = np.random.default_rng(2).random((70, 4))
    out = model.predict(x, batch_size=32, verbose=0)
    assert out.shape == (70, 1) and out.dtype == np.dtype(precision)
    np.testing.assert_allclose(out, model.predict_on_batch(x), rtol=1e-6)


def test_train_and_test_on_batch_return_metric_lists(fs):
    model = guide_model(fs)
    x, y = np.ones((4, 4)), np.zeros((4, 1))
    logs = model.train_on_batch(x, y, return_dict=True)
    assert list(logs) == ["loss", "mae"]
    assert len(model.test_on_batch(x, y)) == 2


def test_stateless_call_uses_the_given_values_and_changes_no_variable(fs):
    model = guide_model(fs)
    x = np.ones((2, 4))
    zeros = [fs.ops.zeros(v.shape, dtype=v.dtype) for v in model.trainable_variables]
    out, non_trainable = model.stateless_call(zeros, [], x)
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(out), np.zeros((2, 1)))
    assert non_trainable == []
    assert np.abs(model.get_weights()[0]).sum() > 0


def test_the_same_seed_gives_the_same_initial_weights(fs):
    fs.utils.set_random_seed(3)
    first = guide_model(fs).get_weights()
    fs.utils.set_random_seed(3)
    second = guide_model(fs).get_weights()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_prints_the_guides_format_when_not_a_terminal(fs, capsys):
    model = guide_model(fs)
    model.fit(np.ones((64, 4)), np.zeros((64, 1)), epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("2/2 ━━━━━━━━━━━━━━━━━━━━ ")
    assert "/step - loss: " in lines[1] and " - mae: " in lines[1]


def test_a_second_backend_works_in_the_same_process(fs):
    import fitspec_numpy

    reference = fitspec_numpy.Sequential([fitspec_numpy.Input(shape=(2,)), fitspec_numpy.layers.Dense(1)])
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    model.set_weights(reference.get_weights())
    x = np.ones((3, 2))
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-6)

"""`tf.data.Dataset` as `x` and as `validation_data`, through the core's data adapters."""

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs


@pytest.fixture
def float64():
    fs.config.set_floatx("float64")
    yield
    fs.config.set_floatx("float32")


def arrays(samples=50):
    rng = np.random.default_rng(0)
    return rng.random((samples, 4)), rng.random((samples, 1)), rng.random((samples, 1))


def compiled_model(steps_per_execution=1):
    fs.utils.set_random_seed(5)
    model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3, activation="tanh"), fs.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", weighted_metrics=["mae"], steps_per_execution=steps_per_execution)
    return model


class CountSteps(fs.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


@pytest.mark.parametrize("steps_per_execution", [1, 3])
def test_a_dataset_trains_like_the_same_arrays_unshuffled(float64, steps_per_execution):
    x, y, w = arrays()
    from_arrays = compiled_model(steps_per_execution)
    array_history = from_arrays.fit(x, y, sample_weight=w, batch_size=8, epochs=2, shuffle=False, verbose=0)
    from_dataset = compiled_model(steps_per_execution)
    dataset = tf.data.Dataset.from_tensor_slices((x, y, w)).batch(8)
    dataset_history = from_dataset.fit(dataset, epochs=2, verbose=0)
    for a, b in zip(from_arrays.get_weights(), from_dataset.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(array_history.history[key], dataset_history.history[key], rtol=1e-12)


def test_a_finite_dataset_is_iterated_anew_every_epoch():
    x, y, _ = arrays()
    counter = CountSteps()
    compiled_model().fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=3, verbose=0,
                         callbacks=[counter])
    assert counter.per_epoch == [4, 4, 4]


def test_validation_data_as_a_dataset_reports_what_evaluate_reports():
    x, y, _ = arrays()
    validation = tf.data.Dataset.from_tensor_slices((x[:20], y[:20])).batch(8)
    model = compiled_model()
    history = model.fit(x, y, batch_size=8, epochs=1, validation_data=validation, verbose=0)
    expected = model.evaluate(validation, verbose=0, return_dict=True)
    assert history.history["val_loss"] == [pytest.approx(expected["loss"], rel=1e-6)]
    assert history.history["val_mae"] == [pytest.approx(expected["mae"], rel=1e-6)]


def test_steps_per_epoch_and_validation_steps_are_honoured():
    x, y, _ = arrays()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    counter = CountSteps()
    model = compiled_model(steps_per_execution=2)
    history = model.fit(dataset.repeat(), epochs=2, steps_per_epoch=5, validation_data=dataset, validation_steps=2,
                        verbose=0, callbacks=[counter])
    assert counter.per_epoch == [3, 3]  # 5 steps in executions of 2: batch hooks after steps 2, 4 and 5
    expected = model.evaluate(dataset.take(2), verbose=0, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(expected["loss"], rel=1e-6)


def test_predict_takes_a_dataset_of_inputs_only():
    x, _, _ = arrays()
    model = compiled_model()
    predictions = model.predict(tf.data.Dataset.from_tensor_slices(x).batch(16), verbose=0)
    np.testing.assert_allclose(predictions, model.predict(x, verbose=0), rtol=1e-6)


def test_a_dataset_with_y_also_passed_is_refused():
    x, y, _ = arrays()
    with pytest.raises(ValueError, match=r"fit: argument `y` expected None when x is a tf.data.Dataset"):
        compiled_model().fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), y, verbose=0)


def test_a_dataset_element_of_the_wrong_arity_is_refused():
    x, y, w = arrays()
    dataset = tf.data.Dataset.from_tensor_slices((x, y, w, w)).batch(8)
    expected = r"x, \(x,\), \(x, y\) or \(x, y, sample_weight\); received <a batch that is a tuple of 4 elements>"
    with pytest.raises(ValueError, match=expected):
        compiled_model().fit(dataset, verbose=0)

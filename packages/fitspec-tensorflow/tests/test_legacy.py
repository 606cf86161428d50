"""The Keras 2 train_step of the blog: compiled_loss, compiled_metrics and apply_gradients."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs
from fitspec import keras2 as legacy


class Keras2Model(fs.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def fit(cls):
    fs.utils.set_random_seed(3)
    rng = np.random.default_rng(1)
    x, y = rng.random((64, 4)), rng.random((64, 1))
    inputs = fs.Input(shape=(4,))
    model = cls(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model.fit(x, y, batch_size=16, epochs=2, verbose=0).history


@pytest.fixture
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(legacy, "_warned", set())


def test_keras2_train_step_logs_what_the_default_train_step_logs(fresh_warnings):
    fs.config.set_floatx("float64")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            keras2 = fit(Keras2Model)
        default = fit(fs.Model)
    finally:
        fs.config.set_floatx("float32")
    assert sorted(keras2) == sorted(default) == ["loss", "mae"]
    for key in default:
        np.testing.assert_allclose(keras2[key], default[key], rtol=1e-12)


def test_compiled_loss_and_compiled_metrics_warn_once_naming_the_keras3_replacement(fresh_warnings):
    with pytest.warns(FutureWarning) as record:
        fit(Keras2Model)
        fit(Keras2Model)
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert "compiled_loss" in messages[0] and "self.compute_loss(" in messages[0]
    assert "compiled_metrics" in messages[1] and "metric.update_state(y, y_pred)" in messages[1]


def test_compiled_loss_without_any_loss_names_what_is_missing(fresh_warnings):
    inputs = fs.Input(shape=(2,))
    model = fs.Model(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="compiled_loss: argument `loss` expected"):
        model.compiled_loss(np.zeros((2, 1)), np.zeros((2, 1), "float32"))

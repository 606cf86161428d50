"""Saving: exact round trips, resuming, portability across backends, and files that do not fit."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fitspec import backend_registry

ACTIVATIONS = ["relu", "tanh", "sigmoid", None, "softmax"]
#: the backends installed beside the one under test: a cross-backend load is checked with each of them.
INSTALLED_BACKENDS = backend_registry.names()


def build_random(fs, widths, activations, functional, features):
    if functional:
        inputs = x = fs.Input(shape=(features,), name="features")
        for width, activation in zip(widths, activations):
            x = fs.layers.Dense(width, activation=activation)(x)
        return fs.Model(inputs, x)
    layers = [fs.layers.Dense(w, activation=a) for w, a in zip(widths, activations)]
    return fs.Sequential([fs.Input(shape=(features,)), *layers])


@given(widths=st.lists(st.integers(1, 6), min_size=1, max_size=3), data=st.data(), functional=st.booleans(),
       features=st.integers(1, 5))
def test_save_and_load_round_trip_exactly(fs, tmp_path_factory, widths, data, functional, features):
    activations = data.draw(st.lists(st.sampled_from(ACTIVATIONS), min_size=len(widths), max_size=len(widths)))
    model = build_random(fs, widths, activations, functional, features)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.default_rng(len(widths)).random((6, features))
    model.fit(x, np.ones((6, widths[-1])), verbose=0, epochs=1)
    path = tmp_path_factory.mktemp("save") / "model.keras"
    model.save(path)
    loaded = fs.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_training_resumed_from_a_saved_model_equals_training_straight_through(fs, tmp_path):
    def fresh():
        fs.utils.set_random_seed(4)
        model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(4, activation="tanh"), fs.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return model

    x = np.random.default_rng(0).random((40, 3))
    y = x.sum(axis=1, keepdims=True)
    straight = fresh()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    first = fresh()
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / "half.keras")
    resumed = fs.models.load_model(tmp_path / "half.keras")
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_weights_and_load_weights(fs, tmp_path):
    model = build_random(fs, [3, 2], ["relu", None], True, 4)
    other = build_random(fs, [3, 2], ["relu", None], True, 4)
    model.save_weights(tmp_path / "w.safetensors")
    other.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_subclassed_model_is_rebuilt_from_its_registered_class(fs, tmp_path):
    @fs.saving.register_serializable(package="conformance")
    class Scaled(fs.Model):
        def __init__(self, units=3, scale=2.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale
            self.dense = fs.layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs) * self.scale

        def get_config(self):
            return {**super().get_config(), "units": self.units, "scale": self.scale}

    model = Scaled(units=2, scale=3.0)
    x = np.ones((2, 5))
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "scaled.keras")
    loaded = fs.models.load_model(tmp_path / "scaled.keras")
    assert type(loaded) is Scaled and loaded.scale == 3.0
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


def test_an_unknown_class_names_itself_and_how_to_register_it(fs, tmp_path):
    class Unregistered(fs.layers.Layer):
        def call(self, inputs):
            return inputs * 2

    model = fs.Sequential([fs.Input(shape=(2,)), Unregistered(), fs.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"'Unregistered'.*custom_objects=.*register_serializable"):
        fs.models.load_model(tmp_path / "m.keras")
    loaded = fs.models.load_model(tmp_path / "m.keras", custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 2)), verbose=0), model.predict(np.ones((1, 2)),
                                                                                              verbose=0))


def test_a_custom_loss_function_needs_custom_objects(fs, tmp_path):
    def scaled_mse(y_true, y_pred):
        return fs.ops.mean(fs.ops.square(y_true - y_pred), axis=-1) * 2

    model = build_random(fs, [1], [None], False, 2)
    model.compile(optimizer="sgd", loss=scaled_mse)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"'scaled_mse'.*custom_objects"):
        fs.models.load_model(tmp_path / "m.keras")
    loaded = fs.models.load_model(tmp_path / "m.keras", custom_objects={"scaled_mse": scaled_mse})
    x, y = np.ones((3, 2)), np.zeros((3, 1))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_a_truncated_file_is_refused_and_the_model_is_untouched(fs, tmp_path):
    model = build_random(fs, [3], [None], False, 2)
    model.save_weights(tmp_path / "w.safetensors")
    data = (tmp_path / "w.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) - 7])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"`filepath`.*truncated"):
        model.load_weights(tmp_path / "cut.safetensors")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_file_for_another_architecture_names_the_weight_and_both_shapes(fs, tmp_path):
    build_random(fs, [3, 1], [None, None], True, 4).save_weights(tmp_path / "w.safetensors")
    model = build_random(fs, [5, 1], [None, None], True, 4)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"weight '.*kernel'.*shape \(4, 5\).*file's.*shape \(4, 3\)"):
        model.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"holds 4 model variables but .* has 6"):
        build_random(fs, [3, 1, 1], [None] * 3, True, 4).load_weights(tmp_path / "w.safetensors")


def test_a_file_from_a_newer_format_version_is_refused(fs, tmp_path):
    from fitspec.saving import file_format

    file_format.write(tmp_path / "new.keras", "weights", {"model.0000": np.zeros(2)},
                      {"weights": [["d/kernel", [2]]]})
    raw = (tmp_path / "new.keras").read_bytes().replace(b'"format_version":"1"', b'"format_version":"9"')
    (tmp_path / "new.keras").write_bytes(raw)
    with pytest.raises(ValueError, match=r"format version 9, newer"):
        build_random(fs, [1], [None], False, 2).load_weights(tmp_path / "new.keras")


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(fs, tmp_path, monkeypatch):
    from fitspec.saving import file_format

    model = build_random(fs, [2], [None], False, 2)
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(file_format.os, "fsync", crash)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


@pytest.mark.parametrize("other", INSTALLED_BACKENDS)
def test_a_model_saved_on_one_backend_loads_on_another(fs, precision, device, other, tmp_path):
    from conformance.tolerances import tolerance

    other_fs = backend_registry.load(other)
    rtol, atol = tolerance("float32", device)  # the other backend runs at its own default precision
    x = np.random.default_rng(1).random((5, 4))
    for source, target in ((fs, other_fs), (other_fs, fs)):
        model = build_random(source, [3, 2], ["tanh", "softmax"], True, 4)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, np.eye(2)[[0, 1, 0, 1, 1]], verbose=0)
        model.save(tmp_path / f"{source.backend.name}.keras")
        loaded = target.models.load_model(tmp_path / f"{source.backend.name}.keras")
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=rtol, atol=atol)
        assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 1

"""Bad input gets an error that names the argument, what was expected and what was received."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.guide_models import for_backend


def compiled(fs, **compile_kwargs):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    model.compile(**{"optimizer": "sgd", "loss": "mse", **compile_kwargs})
    return model


X, Y = np.zeros((10, 3)), np.zeros((10, 1))


def test_fit_with_x_and_y_of_different_lengths(fs):
    with pytest.raises(ValueError, match=r"`y`.*10 samples.*received.*7 samples"):
        compiled(fs).fit(X, Y[:7], verbose=0)


def test_unknown_loss_name(fs):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`loss`.*mean_squared_error.*received 'mean_sqared_error'"):
        model.compile(optimizer="sgd", loss="mean_sqared_error")


def test_unknown_metric_name(fs):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`metrics`.*received 'maee'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["maee"])


def test_unknown_optimizer_name(fs):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`optimizer`.*received 'adamm'"):
        model.compile(optimizer="adamm", loss="mse")


@pytest.mark.parametrize("split", [1.0, 1.5, -0.2])
def test_validation_split_outside_the_open_unit_interval(fs, split):
    with pytest.raises(ValueError, match=r"`validation_split`.*received"):
        compiled(fs).fit(X, Y, validation_split=split, verbose=0)


def test_sample_weight_of_the_wrong_length(fs):
    with pytest.raises(ValueError, match=r"`sample_weight`.*10 samples.*received.*4 samples"):
        compiled(fs).fit(X, Y, sample_weight=np.ones(4), verbose=0)


def test_fit_before_compile(fs):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    with pytest.raises(RuntimeError, match=r"compile"):
        model.fit(X, Y, verbose=0)


def test_train_step_returning_a_non_dict(fs):
    inputs = fs.Input(shape=(3,))
    model = for_backend(fs)["NonDictLogs"](inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"train_step must return a dict.*received"):
        model.fit(X, Y, verbose=0)


def test_train_step_returning_non_scalar_logs(fs):
    inputs = fs.Input(shape=(3,))
    model = for_backend(fs)["NonScalarLogs"](inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"dict of scalars.*logs\['loss'\] with shape \(2, 3\)"):
        model.fit(X, Y, verbose=0)


def test_input_with_the_wrong_feature_count(fs):
    with pytest.raises(ValueError, match=r"^fit: argument `x` expected an array of shape \(None, 3\) for input "
                                         r"'.*'; received <an array of shape \(10, 4\)>"):
        compiled(fs).fit(np.zeros((10, 4)), Y, verbose=0)


def test_set_weights_with_a_wrong_shape(fs):
    model = compiled(fs)
    with pytest.raises(ValueError, match=r"`weights`.*shape \(3, 1\).*received.*\(2, 1\)"):
        model.set_weights([np.zeros((2, 1)), np.zeros(1)])


def test_dense_with_non_positive_units(fs):
    with pytest.raises(ValueError, match=r"`units`.*positive int.*received 0"):
        fs.layers.Dense(0)


def two_outputs(fs):
    inputs = fs.Input(shape=(3,), name="features")
    return fs.Model(inputs, [fs.layers.Dense(1, name="score")(inputs), fs.layers.Dense(2, name="label")(inputs)])


def test_a_loss_dict_key_that_names_no_output(fs):
    model = two_outputs(fs)
    model.compile(optimizer="sgd", loss={"score": "mse", "scor": "mse"})
    with pytest.raises(ValueError, match=r"`loss`.*output names \['score', 'label'\].*unknown keys \['scor'\]"):
        model.fit(X, [Y, np.zeros((10, 2))], verbose=0)


def test_a_loss_list_of_the_wrong_length(fs):
    model = two_outputs(fs)
    model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match=r"`loss`.*2 entries.*received <a list of 3 entries>"):
        model.fit(X, [Y, np.zeros((10, 2))], verbose=0)


def test_class_weight_with_several_outputs(fs):
    model = two_outputs(fs)
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    with pytest.raises(ValueError, match=r"`class_weight`.*single-output"):
        model.fit(X, [Y, np.zeros((10, 2))], class_weight={0: 1.0}, verbose=0)

"""Bad input gets an error that names the argument, what was expected and what was received."""

from __future__ import annotations

import os

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


# -- issue 19: no silent wrong answer, no unclear error -------------------------------------------------
N = 20
RNG = np.random.default_rng(19)
DATA = {  # model kind -> (output layer, loss, metrics, x, y)
    "regression": (lambda fs: fs.layers.Dense(1), "mse", ["mae"], RNG.random((N, 4)), RNG.random((N, 1))),
    "sparse": (lambda fs: fs.layers.Dense(3, activation="softmax"), "sparse_categorical_crossentropy", ["accuracy"],
               RNG.random((N, 4)), RNG.integers(0, 3, N)),
    "binary": (lambda fs: fs.layers.Dense(1, activation="sigmoid"), "binary_crossentropy", ["accuracy"],
               RNG.random((N, 4)), RNG.integers(0, 2, (N, 1)).astype("float64")),
}


_FITTED = {}


def fitted(fs, kind):
    """A model of `kind` after one good fit: everything a refusal must leave as it was is built. Shared by the
    tests of one backend and precision (a refusal leaves it as it was: each test asserts so), so that a compiling
    backend compiles its steps once per kind."""
    key = (fs.backend.name, fs.config.floatx(), kind)
    if key not in _FITTED:
        output, loss, metrics, x, y = DATA[kind]
        model = fs.Sequential([fs.Input(shape=(4,), name="features"), output(fs)])
        model.compile(optimizer="adam", loss=loss, metrics=metrics)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        _FITTED[key] = model
    return _FITTED[key]


def with_entry(array, index, value):
    out = np.array(array, dtype="float64" if isinstance(value, float) else array.dtype)
    out[index] = value
    return out


XF, YR, YS, YB = DATA["regression"][3], DATA["regression"][4], DATA["sparse"][4], DATA["binary"][4]
#: case -> (model kind, method, arguments, error type, message). Each call must be refused before any work.
REFUSED = {
    "predict on input of the wrong rank": (
        "regression", "predict", {"x": np.zeros((N, 2, 4))}, ValueError,
        r"^predict: argument `x` expected an array of shape \(None, 4\) for input 'features'; received <an array "
        r"of shape \(20, 2, 4\)>"),
    "fit on input of the wrong rank": (
        "regression", "fit", {"x": np.zeros((N, 2, 4))}, ValueError, r"^fit: argument `x` expected .*\(None, 4\)"),
    "targets of another shape under mse": (
        "regression", "fit", {"y": np.zeros((N, 5))}, ValueError,
        r"^fit: argument `y` expected an array of shape \(None, 1\) or \(None, 1, 1\) or \(None,\) for output "
        r"'dense.*' \(loss 'mean_squared_error'\); received <an array of shape \(20, 5\)>"),
    "evaluate with targets of another shape": (
        "regression", "evaluate", {"y": np.zeros((N, 5))}, ValueError, r"^evaluate: argument `y` expected"),
    "a negative class id": (
        "sparse", "fit", {"y": with_entry(YS, 3, -1)}, ValueError,
        r"^fit: argument `y` expected integer class ids in \[0, 3\) for output '.*' \(loss "
        r"'sparse_categorical_crossentropy'\); received <-1 at index \(3,\)>"),
    "a class id beyond the classes": (
        "sparse", "fit", {"y": with_entry(YS, 5, 7)}, ValueError,
        r"class ids in \[0, 3\).*received <7 at index \(5,\)>"),
    "a fractional class id": (
        "sparse", "fit", {"y": with_entry(YS, 2, 1.5)}, ValueError, r"class ids in \[0, 3\).*received <1\.5 at index"),
    "a class id beyond the classes in evaluate": (
        "sparse", "evaluate", {"y": with_entry(YS, 0, 3)}, ValueError, r"^evaluate: argument `y` expected integer"),
    "a NaN class id": (
        "sparse", "fit", {"y": with_entry(YS, 4, float("nan"))}, ValueError,
        r"^fit: argument `y` expected finite numbers \(no NaN or inf\); received <nan at index \(4,\)>"),
    "a binary label of 5": (
        "binary", "fit", {"y": with_entry(YB, (6, 0), 5.0)}, ValueError,
        r"^fit: argument `y` expected labels in \[0, 1\] for output '.*' \(loss 'binary_crossentropy'\); received "
        r"<5\.0 at index \(6, 0\)>"),
    "NaN in x": (
        "regression", "fit", {"x": with_entry(XF, (7, 2), float("nan"))}, ValueError,
        r"^fit: argument `x` expected finite numbers \(no NaN or inf\); received <nan at index \(7, 2\)>"),
    "inf in x of predict": (
        "regression", "predict", {"x": with_entry(XF, (1, 0), float("-inf"))}, ValueError,
        r"^predict: argument `x` expected finite numbers.*received <-inf at index \(1, 0\)>"),
    "inf in y": (
        "regression", "fit", {"y": with_entry(YR, (9, 0), float("inf"))}, ValueError,
        r"^fit: argument `y` expected finite numbers.*received <inf at index \(9, 0\)>"),
    "a negative sample weight": (
        "regression", "fit", {"sample_weight": with_entry(np.ones(N), 11, -0.5)}, ValueError,
        r"^fit: argument `sample_weight` expected non-negative sample weights; received <-0\.5 at index \(11,\)>"),
    "a NaN sample weight": (
        "regression", "fit", {"sample_weight": with_entry(np.ones(N), 2, float("nan"))}, ValueError,
        r"^fit: argument `sample_weight` expected finite numbers.*<nan at index \(2,\)>"),
    "sample weights of shape (N, 3)": (
        "regression", "fit", {"sample_weight": np.ones((N, 3))}, ValueError,
        r"^fit: argument `sample_weight` expected an array of shape \(None,\) or \(None, 1\) for output '.*'; "
        r"received <an array of shape \(20, 3\)>"),
    "shuffle='batch'": (
        "regression", "fit", {"shuffle": "batch"}, ValueError,
        r"^fit: argument `shuffle` expected True or False \(Keras 2's shuffle='batch' is not supported\); "
        r"received 'batch'"),
    "an extra key in a dict input": (
        "regression", "fit", {"x": {"features": XF, "extra": XF}}, ValueError,
        r"^fit: argument `x` expected a dict with exactly the keys \['features'\]; received <a dict with keys "
        r"\['extra', 'features'\]>"),
    "complex x": (
        "regression", "fit", {"x": XF + 1j}, ValueError,
        r"^fit: argument `x` expected arrays of real numbers \(bool, int or float\); received <an array of "
        r"complex numbers \(complex128\)>"),
    "strings in x": (
        "regression", "predict", {"x": np.full((N, 4), "a")}, ValueError, r"^predict: argument `x` expected arrays "
        r"of real numbers.*received <an array of strings \(<U1\)>"),
    "strings in y": (
        "regression", "fit", {"y": np.full((N, 1), "0.5")}, ValueError, r"^fit: argument `y` expected arrays of real "
        r"numbers.*strings"),
    "validation_split='0.2'": (
        "regression", "fit", {"validation_split": "0.2"}, ValueError,
        r"^fit: argument `validation_split` expected a float in \[0, 1\) \(0: none\); received '0\.2'"),
    "validation_freq=0": (
        "regression", "fit", {"validation_freq": 0, "validation_split": 0.25}, ValueError,
        r"^fit: argument `validation_freq` expected a positive int; received 0"),
    "validation data with a class id beyond the classes": (
        "sparse", "fit", {"validation_data": (XF, with_entry(YS, 1, 9))}, ValueError,
        r"^fit\(validation_data\): argument `y` expected integer class ids in \[0, 3\).*<9 at index \(1,\)>"),
    "a negative initial_epoch": (
        "regression", "fit", {"initial_epoch": -1}, ValueError, r"^fit: argument `initial_epoch` expected an int >= 0"),
    "verbose=3": ("regression", "fit", {"verbose": 3}, ValueError, r"^fit: argument `verbose` expected 'auto', 0, 1"),
    "return_dict='yes'": (
        "regression", "evaluate", {"return_dict": "yes"}, ValueError, r"^evaluate: argument `return_dict` expected"),
    "steps=0 in predict": ("regression", "predict", {"steps": 0}, ValueError, r"^predict: argument `steps` expected"),
}


def call(model, method, arguments, callbacks):
    kind_data = {"regression": (XF, YR), "sparse": (XF, YS), "binary": (XF, YB)}
    x, y = kind_data[arguments.pop("_kind")]
    arguments = {"x": x, **({"y": y} if method != "predict" else {}), "verbose": 0, **arguments}
    if method == "fit":
        return model.fit(batch_size=8, epochs=2, callbacks=callbacks, **arguments)
    return getattr(model, method)(**arguments)


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_data_and_arguments_are_refused_before_any_work(fs, tmp_path, case):
    kind, method, arguments, error, message = REFUSED[case]
    model = fitted(fs, kind)
    state = [np.array(w) for w in model.get_weights()] + [np.array(v.numpy()) for v in model.optimizer.variables]
    callbacks = [fs.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch}-{batch}.keras"), save_freq=1),
                 fs.callbacks.BackupAndRestore(tmp_path / "backup", save_freq=1)]
    with pytest.raises(error, match=message):
        call(model, method, {**arguments, "_kind": kind}, callbacks)
    after = [np.array(w) for w in model.get_weights()] + [np.array(v.numpy()) for v in model.optimizer.variables]
    for a, b in zip(after, state, strict=True):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == []


def test_predict_on_batch_and_train_on_batch_check_their_data_too(fs):
    model = fitted(fs, "sparse")
    with pytest.raises(ValueError, match=r"^predict_on_batch: argument `x` expected an array of shape \(None, 4\)"):
        model.predict_on_batch(np.zeros((3, 2, 4)))
    with pytest.raises(ValueError, match=r"^train_on_batch: argument `y` expected integer class ids in \[0, 3\)"):
        model.train_on_batch(XF[:4], np.array([0, 1, 2, 3]))


@pytest.mark.parametrize(("stream", "message"), [
    ("generator", r"^fit: argument `x` expected finite numbers.*<nan at index \(0, 1\)>"),
    ("py_dataset", r"^fit: argument `y` expected integer class ids in \[0, 3\).*<5 at index \(2,\)>"),
])
def test_a_streams_first_batch_is_checked(fs, stream, message):
    model = fitted(fs, "sparse")
    bad_x, bad_y = (with_entry(XF, (0, 1), float("nan")), YS) if stream == "generator" else (XF, with_entry(YS, 2, 5))

    class Batches(fs.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return bad_x[index * 8 : index * 8 + 8], bad_y[index * 8 : index * 8 + 8]

    source = Batches() if stream == "py_dataset" else ((bad_x[i : i + 8], bad_y[i : i + 8]) for i in (0, 8, 16))
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(source, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("argument", "value", "message"), [
    ("optimizer", "schedules", r"`optimizer` expected an Optimizer or one of \[.*\]; received 'schedules'"),
    ("optimizer", "Optimizer", r"`optimizer` expected an Optimizer or one of \[.*\]; received 'Optimizer'"),
    ("loss", "Loss", r"`loss` expected a Loss, a function or one of \[.*\]; received 'Loss'"),
])
def test_compile_refuses_names_that_are_no_optimizer_or_loss(fs, argument, value, message):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"^compile: argument " + message):
        model.compile(**{"optimizer": "sgd", "loss": "mse", argument: value})
    with pytest.raises(ValueError, match=r"^compile: argument `loss` expected a Loss subclass that implements call"):
        model.compile(optimizer="sgd", loss=fs.losses.Loss)

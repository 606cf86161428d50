"""Callbacks against reference state machines, and their effect inside fit()."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import reference as ref

metric_sequences = st.lists(st.sampled_from([0.5, 0.45, 0.4, 0.42, 0.3, 0.31, 0.6, 0.2]), min_size=1, max_size=12)


def small_model(fs, lr=0.1):
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


@given(values=metric_sequences, patience=st.integers(0, 3), min_delta=st.sampled_from([0.0, 0.015]),
       mode=st.sampled_from(["min", "max"]), baseline=st.sampled_from([None, 0.41]),
       start=st.integers(0, 2))
def test_early_stopping_matches_the_reference_machine(fs, values, patience, min_delta, mode, baseline, start):
    model = small_model(fs)
    callback = fs.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta, mode=mode,
                                          baseline=baseline, start_from_epoch=start)
    callback.set_model(model)
    callback.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            stopped = epoch
            break
    expected_stop, expected_best = ref.early_stopping(values, patience, min_delta, mode, baseline, start)
    assert stopped == expected_stop
    if expected_best is not None:
        assert callback.best_epoch == expected_best


@given(values=metric_sequences, factor=st.sampled_from([0.5, 0.1]), patience=st.integers(0, 3),
       cooldown=st.integers(0, 2), min_lr=st.sampled_from([0.0, 0.02]), mode=st.sampled_from(["min", "max"]))
def test_reduce_lr_on_plateau_matches_the_reference_machine(fs, values, factor, patience, cooldown, min_lr, mode):
    model = small_model(fs, lr=0.1)
    callback = fs.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=factor, patience=patience,
                                              cooldown=cooldown, min_lr=min_lr, min_delta=1e-4, mode=mode)
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"val_loss": value})
        rates.append(float(fs.ops.convert_to_numpy(model.optimizer.learning_rate)))
    expected = ref.reduce_lr_on_plateau(values, 0.1, factor, patience, 1e-4, cooldown, min_lr, mode)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)


def test_early_stopping_in_fit_stops_and_restores_the_best_weights(fs):
    scores = [0.9, 0.5, 0.4, 0.45, 0.41, 0.6, 0.3]
    model = small_model(fs, lr=0.1)
    snapshots = {}

    class Score(fs.callbacks.Callback):
        """Logs a scripted score (before EarlyStopping sees the logs) and keeps each epoch's weights."""

        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = scores[epoch]
            snapshots[epoch] = model.get_weights()

    stopper = fs.callbacks.EarlyStopping(monitor="score", mode="min", patience=2, restore_best_weights=True)
    history = model.fit(np.ones((8, 2)), np.zeros((8, 1)), epochs=len(scores), verbose=0,
                        callbacks=[Score(), stopper])
    assert history.epoch == [0, 1, 2, 3, 4] and stopper.stopped_epoch == 4 and stopper.best_epoch == 2
    for restored, kept in zip(model.get_weights(), snapshots[2]):
        np.testing.assert_array_equal(restored, kept)
    assert not np.array_equal(snapshots[2][0], snapshots[4][0])


def test_learning_rate_scheduler_sets_the_rate_each_epoch_and_logs_it(fs):
    model = small_model(fs, lr=1.0)
    scheduler = fs.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[scheduler])
    np.testing.assert_allclose(history.history["learning_rate"], [1.0, 0.5, 0.25], rtol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_at_the_first_invalid_loss(fs):
    model = small_model(fs, lr=1e12)
    losses = []
    record = fs.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    model.fit(np.full((64, 2), 1e3), np.ones((64, 1)), batch_size=1, epochs=1, verbose=0,
              callbacks=[record, fs.callbacks.TerminateOnNaN()])
    assert model.stop_training and len(losses) < 64
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])


def test_csv_logger_writes_epoch_then_sorted_keys_and_appends(fs, tmp_path):
    path = tmp_path / "log.csv"
    model = small_model(fs)
    x, y = np.ones((8, 2)), np.ones((8, 1))
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[fs.callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[fs.callbacks.CSVLogger(path, append=True)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert all(np.isfinite(float(v)) for r in rows[1:] for v in r[1:])


def test_lambda_callback_and_every_hook_in_order(fs):
    calls = []
    hooks = {name: (lambda *args, name=name, **kwargs: calls.append(name)) for name in fs.callbacks.HOOKS}
    model = small_model(fs)
    model.fit(np.ones((4, 2)), np.ones((4, 1)), batch_size=2, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[fs.callbacks.LambdaCallback(**hooks)])
    assert calls == ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
                     "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
                     "on_epoch_end", "on_train_end"]


def test_evaluate_and_predict_call_the_batch_hooks_a_subclass_overrides_once_per_batch(fs):
    class Seen(fs.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_test_batch_end(self, batch, logs=None):
            self.calls.append(("test", batch, sorted(logs)))

        def on_predict_batch_begin(self, batch, logs=None):
            self.calls.append(("predict", batch))

    model = small_model(fs)
    seen = Seen()
    model.evaluate(np.ones((6, 2)), np.ones((6, 1)), batch_size=2, verbose=0, callbacks=[seen])
    model.predict(np.ones((4, 2)), batch_size=2, verbose=0, callbacks=[seen])
    assert seen.calls == [("test", 0, ["loss"]), ("test", 1, ["loss"]), ("test", 2, ["loss"]),
                          ("predict", 0), ("predict", 1)]


def test_a_custom_callback_sees_the_model_and_can_stop_training(fs):
    class LossHistory(fs.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs=None):
            self.per_batch_losses.append(logs.get("loss"))

        def on_train_batch_end(self, batch, logs=None):
            self.on_batch_end(batch, logs)
            if batch == 2:
                self.model.stop_training = True

    history = LossHistory()
    model = small_model(fs)
    result = model.fit(np.ones((40, 2)), np.ones((40, 1)), batch_size=4, epochs=3, verbose=0, callbacks=[history])
    assert len(history.per_batch_losses) == 3 and len(result.epoch) == 1


def test_the_guides_loss_history_gets_logs_positionally_and_the_on_batch_end_alias(fs):
    """The guide's callback: `on_train_begin(self, logs)` without a default, and the Keras 2 `on_batch_end`."""

    class LossHistory(fs.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    history = LossHistory()
    small_model(fs).fit(np.ones((12, 2)), np.ones((12, 1)), batch_size=4, epochs=2, verbose=0, callbacks=[history])
    assert len(history.per_batch_losses) == 6 and all(np.isfinite(history.per_batch_losses))


def test_bad_callback_arguments_are_named(fs):
    with pytest.raises(ValueError, match=r"`patience`.*non-negative int.*received -1"):
        fs.callbacks.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match=r"`factor`.*received 1\.5"):
        fs.callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(ValueError, match=r"`callbacks`.*Callback instances.*built-in function print"):
        small_model(fs).fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0, callbacks=[print])
    with pytest.raises(ValueError, match=r"monitor='val_thing'.*mode='max'"):
        cb = fs.callbacks.EarlyStopping(monitor="val_thing")
        cb.set_model(small_model(fs))
        cb.on_train_begin()
        cb.on_epoch_end(0, {"val_thing": 1.0})


def test_every_hook_gets_a_dict_of_logs(fs):
    """Keras passes a dict to every hook, `{}` where there is nothing to log: `logs.keys()` works everywhere."""
    received = {}

    class Keys(fs.callbacks.Callback):
        pass

    for name in fs.callbacks.HOOKS:
        def record(*args, name=name):
            logs = args[-1]
            received.setdefault(name, []).append(sorted(logs.keys()))
        setattr(Keys, name, lambda self, *args, record=record: record(*args))

    model = small_model(fs)
    x, y = np.ones((4, 2)), np.ones((4, 1))
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, validation_split=0.5, callbacks=[Keys()])
    model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[Keys()])
    model.predict(x, batch_size=2, verbose=0, callbacks=[Keys()])
    assert set(received) == set(fs.callbacks.HOOKS)
    for name in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin", "on_predict_begin",
                 "on_predict_end", "on_test_batch_begin", "on_predict_batch_begin"):
        assert all(keys == [] for keys in received[name]), name
    assert received["on_train_end"] == [["loss", "val_loss"]]
    assert received["on_test_end"] == [["loss"], ["loss"]]
    assert received["on_predict_batch_end"] == [["outputs"], ["outputs"]]


def test_a_single_callback_is_accepted_as_in_keras(fs):
    model = small_model(fs, lr=0.1)
    stopper = fs.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    history = model.fit(np.ones((8, 2)), np.zeros((8, 1)), epochs=5, verbose=0, callbacks=stopper)
    assert history.epoch == [0, 1] and stopper.stopped_epoch == 1
    seen = []
    record = fs.callbacks.LambdaCallback(on_test_end=lambda logs: seen.append("test"),
                                         on_predict_end=lambda logs: seen.append("predict"))
    model.evaluate(np.ones((2, 2)), np.ones((2, 1)), verbose=0, callbacks=record)
    model.predict(np.ones((2, 2)), verbose=0, callbacks=(record,))
    assert seen == ["test", "predict"]


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_callbacks_that_are_not_callbacks_are_named(fs, method):
    model = small_model(fs)
    call = {"fit": lambda cbs: model.fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0, callbacks=cbs),
            "evaluate": lambda cbs: model.evaluate(np.ones((2, 2)), np.ones((2, 1)), verbose=0, callbacks=cbs),
            "predict": lambda cbs: model.predict(np.ones((2, 2)), verbose=0, callbacks=cbs)}[method]
    before = model.get_weights()
    with pytest.raises(ValueError, match=rf"^{method}: argument `callbacks` expected a Callback.*received 42"):
        call(42)
    with pytest.raises(ValueError, match=rf"^{method}: argument `callbacks`.*a list holding 'x'"):
        call([fs.callbacks.History(), "x"])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)

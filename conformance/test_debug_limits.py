"""`fs.config.max_epochs` / `max_steps_per_epoch` (docs/SPEC.md 12.11): Keras 3's debugging caps on fit()'s epochs and
on every epoch's steps of fit, evaluate and predict."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def limits(fs):
    """fs.config, its caps cleared after the test."""
    yield fs.config
    fs.config.set_max_epochs(None)
    fs.config.set_max_steps_per_epoch(None)


def seeded_model(fs):
    fs.utils.set_random_seed(2)
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2)])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def batches_per_epoch(fs):
    class Count(fs.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.train, self.test = [], 0

        def on_epoch_begin(self, epoch, logs=None):
            self.train.append(0)

        def on_train_batch_end(self, batch, logs=None):
            self.train[-1] += 1

        def on_test_batch_end(self, batch, logs=None):
            self.test += 1

    return Count()


DATA = np.random.default_rng(0).random((40, 3)), np.random.default_rng(1).random((40, 2))  # 5 batches of 8


def test_max_epochs_caps_fit_with_keras_warning_and_leaves_fewer_epochs_alone(fs, limits):
    x, y = DATA
    assert limits.max_epochs() is None
    limits.set_max_epochs(2)
    assert limits.max_epochs() == 2
    model = seeded_model(fs)
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    assert history.params["epochs"] == 2 and len(history.history["loss"]) == 2
    assert len(model.fit(x, y, batch_size=8, epochs=1, verbose=0).history["loss"]) == 1
    limits.set_max_epochs(None)
    assert len(model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]) == 3


def test_max_steps_per_epoch_trains_as_steps_per_epoch_and_caps_evaluate_and_predict(fs, limits):
    """A cap of 2 on 5 batches: each epoch of fit (and its validation), evaluate and predict takes 2 steps; fit's
    weights are those of steps_per_epoch=2 (the next epoch goes on from the batch where the last stopped)."""
    x, y = DATA
    wanted = seeded_model(fs)
    wanted.fit(x, y, batch_size=8, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    limits.set_max_steps_per_epoch(2)
    assert limits.max_steps_per_epoch() == 2
    model, count = seeded_model(fs), batches_per_epoch(fs)
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(x, y), callbacks=[count])
    assert count.train == [2, 2] and count.test == 4
    for a, b in zip(model.get_weights(), wanted.get_weights()):
        np.testing.assert_array_equal(a, b)
    count = batches_per_epoch(fs)
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        model.evaluate(x, y, batch_size=8, steps=4, verbose=0, callbacks=[count])
        assert model.predict(x, batch_size=8, verbose=0).shape == (16, 2)
    assert count.test == 2
    limits.set_max_steps_per_epoch(5)  # no shorter than the data: every batch, as without a cap
    model, count = seeded_model(fs), batches_per_epoch(fs)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[count])
    assert count.train == [5]


def test_the_caps_refuse_anything_but_a_positive_int_or_none_by_name(fs, limits):
    for value in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"config.set_max_epochs: argument `max_epochs` expected a positive int, "
                                             r"or None \(no limit\)"):
            limits.set_max_epochs(value)
        with pytest.raises(ValueError, match=r"argument `max_steps_per_epoch` expected a positive int"):
            limits.set_max_steps_per_epoch(value)
    assert limits.max_epochs() is None and limits.max_steps_per_epoch() is None

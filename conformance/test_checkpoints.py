"""ModelCheckpoint files and TensorBoard event files, read back."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest


def small_model(fs):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2, activation="tanh"), fs.layers.Dense(1)])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


X = np.random.default_rng(0).random((32, 3))
Y = X.sum(axis=1, keepdims=True)


def test_checkpoint_files_are_named_from_the_epoch_and_the_logs(fs, tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}-{val_mae:.3f}.keras")
    model = small_model(fs)
    history = model.fit(X, Y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[fs.callbacks.ModelCheckpoint(pattern, save_best_only=False)])
    expected = sorted(f"ckpt-{e + 1:02d}-{history.history['loss'][e]:.3f}-{history.history['val_mae'][e]:.3f}.keras"
                      for e in range(3))
    assert sorted(os.listdir(tmp_path)) == expected
    last = fs.models.load_model(tmp_path / expected[-1])
    for a, b in zip(last.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_best_only_keeps_the_best_monitored_epoch(fs, tmp_path):
    scores = [0.5, 0.3, 0.4, 0.2, 0.6]
    weights = {}

    class Score(fs.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = scores[epoch]
            weights[epoch] = self.model.get_weights()

    path = tmp_path / "best.weights"
    model = small_model(fs)
    checkpoint = fs.callbacks.ModelCheckpoint(path, monitor="score", mode="min", save_best_only=True,
                                              save_weights_only=True)
    model.fit(X, Y, epochs=5, verbose=0, callbacks=[Score(), checkpoint])
    restored = small_model(fs)
    restored.load_weights(path)
    for a, b in zip(restored.get_weights(), weights[3]):
        np.testing.assert_array_equal(a, b)
    assert checkpoint.best == 0.2


def test_batch_level_checkpoints_every_save_freq_batches(fs, tmp_path):
    model = small_model(fs)
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0,
              callbacks=[fs.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.keras", "e2-b2.keras"]


def test_a_filepath_naming_a_missing_log_key_lists_the_keys(fs, tmp_path):
    model = small_model(fs)
    checkpoint = fs.callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{val_loss:.2f}.keras"))
    with pytest.raises(ValueError, match=r"`filepath`.*\['epoch', 'loss', 'mae'\].*names \['val_loss'\]"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[checkpoint])


def test_the_guides_make_or_restore_model_recipe(fs, tmp_path):
    checkpoint_dir = tmp_path / "ckpt"
    checkpoint_dir.mkdir()

    def make_or_restore_model():
        checkpoints = [checkpoint_dir / name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            return fs.models.load_model(latest_checkpoint), True
        return small_model(fs), False

    model, restored = make_or_restore_model()
    assert not restored
    callbacks = [fs.callbacks.ModelCheckpoint(filepath=str(checkpoint_dir / "ckpt-loss={loss:.2f}.keras"),
                                              save_freq=2)]
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0, callbacks=callbacks)
    again, restored = make_or_restore_model()
    assert restored and int(again.optimizer.iterations) == 4
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_tensorboard_writes_scalars_that_tensorboard_reads(fs, tmp_path):
    pytest.importorskip("tensorboard", reason="the tensorboard package is installed by every nox session")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = small_model(fs)
    history = model.fit(X, Y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[fs.callbacks.TensorBoard(log_dir=tmp_path, update_freq=2)])

    def scalars(run, tag):
        accumulator = EventAccumulator(str(tmp_path / run))
        accumulator.Reload()
        return [(e.step, e.value) for e in accumulator.Scalars(tag)]

    losses = scalars("train", "epoch_loss")
    assert [step for step, _ in losses] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in losses], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars("validation", "epoch_mae")], history.history["val_mae"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in scalars("train", "epoch_learning_rate")], [0.05] * 3, rtol=1e-6)
    assert [step for step, _ in scalars("train", "batch_loss")] == [2, 4, 6, 8]  # 3 epochs x 3 batches


#: (save_freq, steps_per_execution) -> the (epoch, batch) ends after which a batch-level save happens, for 2
#: epochs of 8 batches. A save is due at the first execution end by which save_freq batches ran since the last
#: one (Keras 3's rule); the count runs on across epochs.
SAVE_POINTS = {
    (1, 1): [(e, b) for e in (1, 2) for b in range(1, 9)],
    (3, 1): [(1, 3), (1, 6), (2, 1), (2, 4), (2, 7)],
    (4, 1): [(1, 4), (1, 8), (2, 4), (2, 8)],
    (1, 4): [(1, 4), (1, 8), (2, 4), (2, 8)],
    (3, 4): [(1, 4), (1, 8), (2, 4), (2, 8)],
    (4, 4): [(1, 4), (1, 8), (2, 4), (2, 8)],
}
X16, Y16 = np.random.default_rng(1).random((64, 3)), np.random.default_rng(2).random((64, 1))


@pytest.mark.parametrize(("save_freq", "steps_per_execution"), list(SAVE_POINTS))
def test_model_checkpoint_saves_every_save_freq_batches_whatever_steps_per_execution(fs, tmp_path, save_freq,
                                                                                      steps_per_execution):
    model = small_model(fs)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    checkpoint = fs.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights"), save_freq=save_freq,
                                              save_weights_only=True)
    model.fit(X16, Y16, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[checkpoint])
    expected = SAVE_POINTS[(save_freq, steps_per_execution)]
    assert sorted(os.listdir(tmp_path)) == sorted(f"e{e}-b{b}.weights" for e, b in expected)


@pytest.mark.parametrize(("save_freq", "steps_per_execution"), list(SAVE_POINTS))
def test_backup_and_restore_backs_up_every_save_freq_batches_whatever_steps_per_execution(
        fs, tmp_path, save_freq, steps_per_execution):
    from safetensors import safe_open

    backup = tmp_path / "backup"
    written = []

    class ReadBackup(fs.callbacks.Callback):
        """Runs after BackupAndRestore and records each new backup's position (epoch, batches done)."""

        def read(self):
            if (backup / "backup.fitspec").exists():
                with safe_open(str(backup / "backup.fitspec"), "np") as f:
                    state = json.loads(f.metadata()["fit_state"])
                position = (state["epoch"], state["steps_done"])
                if not written or written[-1] != position:
                    written.append(position)

        def on_train_batch_end(self, batch, logs=None):
            self.read()

        def on_epoch_end(self, epoch, logs=None):
            self.read()

    model = small_model(fs)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    model.fit(X16, Y16, epochs=2, batch_size=8, verbose=0,
              callbacks=[fs.callbacks.BackupAndRestore(backup, save_freq=save_freq), ReadBackup()])
    # A backup after batch b of epoch e stands at (e - 1, b), the one at epoch e's end at (e, 0). The epoch-end
    # backup restarts the count, so each epoch has the save points of the first epoch above.
    in_epoch = [b for e, b in SAVE_POINTS[(save_freq, steps_per_execution)] if e == 1]
    expected = [position for e in (1, 2) for position in [(e - 1, b) for b in in_epoch] + [(e, 0)]]
    assert written == expected
    assert not backup.exists()


def test_tensorboard_batch_steps_count_batches_with_steps_per_execution(fs, tmp_path):
    pytest.importorskip("tensorboard", reason="the tensorboard package is installed by every nox session")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = small_model(fs)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    model.fit(X16, Y16, epochs=2, batch_size=8, verbose=0,
              callbacks=[fs.callbacks.TensorBoard(log_dir=tmp_path, update_freq=3)])
    accumulator = EventAccumulator(str(tmp_path / "train"))
    accumulator.Reload()
    assert [e.step for e in accumulator.Scalars("batch_loss")] == [4, 8, 12, 16]


@pytest.mark.parametrize("filepath", ["ckpt-{}.keras", "ckpt-{0}.keras", "ckpt-{epoch.real}.keras", "ckpt-{epoch"])
def test_a_filepath_with_a_field_that_names_no_log_key_is_refused(fs, filepath):
    with pytest.raises(ValueError, match=r"^ModelCheckpoint: argument `filepath` expected .*received <'ckpt-"):
        fs.callbacks.ModelCheckpoint(filepath)

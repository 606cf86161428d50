"""BackupAndRestore: a training process killed with SIGKILL mid-epoch and restarted ends where an
uninterrupted run ends, bit for bit in float64, on every backend; with randomness in the step, it
continues the same dropout masks and noise (the backup holds the seed states)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

TRAINING = textwrap.dedent('''
    import os, signal, sys
    import numpy as np
    from fitspec import backend_registry
    fs = backend_registry.load(sys.argv[1])
    fs.config.set_floatx("float64")
    fs.backend.use_device(sys.argv[2])
    backup_dir, kill_at, seed, out = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    fs.utils.set_random_seed(seed)  # a restarted run draws other initial weights, shuffle and seeds

    class UnseededNoise(fs.layers.Layer):  # draws from the process-wide seed state
        def call(self, x, training=False):
            return x + 0.1 * fs.random.normal(fs.ops.shape(x), dtype="float64") if training else x

    random_layers = [fs.layers.Dropout(0.25, seed=2), fs.layers.Dropout(0.3), UnseededNoise()]
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(4, activation="tanh"),
                           *(random_layers if sys.argv[7] == "random" else []), fs.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).random((40, 3))
    y = np.sin(x).sum(axis=1, keepdims=True)
    seen = []

    class Kill(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if len(seen) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [fs.callbacks.BackupAndRestore(backup_dir, save_freq=3), Kill()] if backup_dir != "-" else []
    history = model.fit(x, y, epochs=3, batch_size=8, callbacks=callbacks, verbose=0)
    np.savez(out, *model.get_weights(), loss=np.array(history.history["loss"]))
''')


def run(backend, device, tmp_path, backup_dir, kill_at, seed, out, layers):
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    return subprocess.run([sys.executable, str(script), backend, device, str(backup_dir), str(kill_at), str(seed),
                           str(out), layers], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("layers", ["dense", "random"])
def test_a_run_killed_mid_epoch_resumes_to_the_uninterrupted_weights(backend_module, backend_name, device, tmp_path,
                                                                     layers):
    reference = run(backend_name, device, tmp_path, "-", 0, 3, tmp_path / "reference.npz", layers)
    assert reference.returncode == 0, reference.stderr[-2000:]
    backups = tmp_path / "backups"
    killed = run(backend_name, device, tmp_path, backups, 7, 3, tmp_path / "killed.npz", layers)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (backups / "backup.fitspec").exists() and not (tmp_path / "killed.npz").exists()
    resumed = run(backend_name, device, tmp_path, backups, 0, 99, tmp_path / "resumed.npz", layers)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not backups.exists()  # deleted once training completed
    expected, actual = np.load(tmp_path / "reference.npz"), np.load(tmp_path / "resumed.npz")
    weights = [k for k in expected.files if k != "loss"]
    for key in weights:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=f"weight {key}")
    # the epochs run after the restart log what the uninterrupted run logged
    np.testing.assert_array_equal(actual["loss"], expected["loss"][-len(actual["loss"]):])


def test_a_backup_from_another_architecture_is_refused(fs, tmp_path):
    small = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    small.compile(optimizer="adam", loss="mse")
    callback = fs.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    small.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0, callbacks=[callback])
    other = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2), fs.layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"holds 2 model variables but model .* has 4"):
        other.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0,
                  callbacks=[fs.callbacks.BackupAndRestore(tmp_path)])
    assert os.path.exists(tmp_path / "backup.fitspec")


class TrainingInterruptedError(Exception):
    pass


def test_a_run_interrupted_between_executions_resumes_to_the_uninterrupted_weights(fs, tmp_path):
    """steps_per_execution=4 with backups every 3 batches: they are taken at execution ends, after batches 4 and 8
    of each epoch (docs/SPEC.md 8b), and the run resumed from one ends with the uninterrupted run's weights."""
    x = np.random.default_rng(0).random((64, 3))
    y = np.sin(x).sum(axis=1, keepdims=True)

    def train(callbacks, seed):
        fs.utils.set_random_seed(seed)
        model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(4, activation="tanh"), fs.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=4)
        history = model.fit(x, y, epochs=3, batch_size=8, callbacks=callbacks, verbose=0)
        return model, history

    class InterruptAt(fs.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == (1, 3):
                raise TrainingInterruptedError

    reference, reference_history = train([], seed=3)
    with pytest.raises(TrainingInterruptedError):
        train([fs.callbacks.BackupAndRestore(tmp_path / "b", save_freq=3), InterruptAt()], seed=3)
    resumed, history = train([fs.callbacks.BackupAndRestore(tmp_path / "b", save_freq=3)], seed=99)
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history.epoch == [1, 2]
    np.testing.assert_array_equal(history.history["mae"], reference_history.history["mae"][1:])
    assert int(resumed.optimizer.iterations) == int(reference.optimizer.iterations) == 24

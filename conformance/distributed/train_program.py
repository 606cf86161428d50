"""One small fit / evaluate / save, as a data-parallel run or on one device; rank 0 writes what it got as JSON.

    python -m conformance.distributed.train_program BACKEND PRECISIONS OUT_DIR [--data-parallel]

PRECISIONS is one precision or several, comma-separated ("float64,float32"): one run each, in one process.

Run on one device, under `fitspec-launch --nproc-per-node R` (torch, tensorflow), with R XLA host devices (JAX)
or with R logical CPU devices (tensorflow, `--logical-cpus R`), the same program must give the same History,
evaluate() and weights (conformance/test_distributed.py).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal

import numpy as np

from fitspec import backend_registry

#: 47 samples, validation_split 0.2: 37 to train in batches of 8 (the last of 5 rows: shards of 3 and 2 on two
#: replicas, 2, 1, 1, 1 on four) and 10 to validate in batches of 5
SAMPLES, BATCH_SIZE = 47, 8


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backend")
    parser.add_argument("precisions")
    parser.add_argument("out_dir")
    parser.add_argument("--data-parallel", action="store_true")
    parser.add_argument("--logical-cpus", type=int, default=0,
                        help="tensorflow: split the CPU into this many logical devices (before TF initialises)")
    parser.add_argument("--backup-dir", help="fit with BackupAndRestore(backup_dir)")
    parser.add_argument("--kill-at-step", type=int, default=0,
                        help="the last rank kills itself (SIGKILL) after this train step of the second epoch, once: "
                             "while BACKUP_DIR/../killed is absent")
    options = parser.parse_args(argv)
    if options.logical_cpus:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * options.logical_cpus)
    fs = backend_registry.load(options.backend)
    fs.distribution.initialize()
    if options.data_parallel:
        fs.distribution.set_distribution(fs.distribution.DataParallel())
    for precision in options.precisions.split(","):
        fs.config.set_floatx(precision)
        train(fs, pathlib.Path(options.out_dir), precision, callbacks(fs, options))


def callbacks(fs, options) -> list:
    """BackupAndRestore and the rank that dies mid-epoch, when asked."""
    if not options.backup_dir:
        return []
    out = [fs.callbacks.BackupAndRestore(options.backup_dir)]
    environment = fs.backend.process_environment
    marker = pathlib.Path(options.backup_dir).parent / "killed"
    if options.kill_at_step and environment is not None and environment.rank == environment.world_size - 1:

        class KillMidEpoch(fs.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                if self.epoch == 1 and batch + 1 >= options.kill_at_step and not marker.exists():
                    marker.write_text("killed")
                    os.kill(os.getpid(), signal.SIGKILL)

        out.append(KillMidEpoch())
    return out


def train(fs, out, precision, extra_callbacks=()) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 4))
    y = (x @ np.array([[0.5], [-1.0], [2.0], [0.25]]) + 0.1 * rng.normal(size=(SAMPLES, 1)) > 0).astype("float64")
    sample_weight = rng.uniform(0.5, 1.5, size=SAMPLES)
    fs.utils.set_random_seed(7)
    model = fs.Sequential([fs.Input((4,)), fs.layers.Dense(8, activation="tanh"),
                           fs.layers.BatchNormalization(momentum=0.8), fs.layers.Dense(1)])
    model.compile(optimizer=fs.optimizers.Adam(learning_rate=0.05, clipnorm=1.0),
                  loss=fs.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[fs.metrics.BinaryAccuracy(threshold=0.0), fs.metrics.MeanSquaredError()],
                  steps_per_execution=2)
    history = model.fit(x, y, sample_weight=sample_weight, batch_size=BATCH_SIZE, epochs=2, validation_split=0.2,
                        shuffle=True, class_weight={0: 1.0, 1: 2.0}, validation_batch_size=5, verbose=2,
                        callbacks=list(extra_callbacks))
    evaluated = model.evaluate(x, y, batch_size=BATCH_SIZE, return_dict=True, verbose=0)
    on_batch = {"train_on_batch": model.train_on_batch(x[:6], y[:6], return_dict=True),
                "test_on_batch": model.test_on_batch(x[6:12], y[6:12], return_dict=True)}
    model.save(out / f"model_{precision}.fitspec")
    devices = fs.distribution.list_devices()
    environment = fs.backend.process_environment
    if environment is None or environment.rank == 0:
        (out / f"result_{precision}.json").write_text(json.dumps({
            "history": history.history, "evaluate": evaluated, "devices": devices, "on_batch": on_batch,
            "weights": [w.tolist() for w in model.get_weights()],
        }))


if __name__ == "__main__":
    main()

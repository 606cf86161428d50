"""`TensorBoard`: scalars as real TensorBoard event files, written with the tensorboard package.

`log_dir/train` receives `epoch_<key>` at each epoch end (and `batch_<key>` every `update_freq`
batches when it is an int or "batch", at step = the batches trained so far); `log_dir/validation`
receives the `val_` keys without their prefix. The learning rate is logged as `epoch_learning_rate`.
"""

from __future__ import annotations

import os
import time

import numpy as np

from fitspec.callbacks.batch_frequency import BatchFrequency
from fitspec.callbacks.callback import Callback
from fitspec.errors import invalid_argument


def _event_writer(path):
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as error:
        raise ImportError(
            "fitspec's TensorBoard callback writes event files with the `tensorboard` package; "
            "install it (`pip install tensorboard` or `pip install fitspec[tensorboard]`)."
        ) from error
    return EventFileWriter(path)


def _scalar_event(tag: str, value: float, step: int):
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    return Event(wall_time=time.time(), step=int(step),
                 summary=Summary(value=[Summary.Value(tag=tag, simple_value=float(value))]))


class TensorBoard(Callback):
    def __init__(self, log_dir="logs", update_freq="epoch", **unused_keras_options):
        super().__init__()
        if update_freq not in ("epoch", "batch") and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1):
            raise invalid_argument("TensorBoard", "update_freq", "'epoch', 'batch' or a positive int", update_freq)
        self.log_dir = os.fspath(log_dir)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers = {}
        self._frequency = None

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = _event_writer(os.path.join(self.log_dir, name))
        return self._writers[name]

    def _write(self, name, prefix, logs, step):
        writer = self._writer(name)
        for key, value in logs.items():
            if np.ndim(value) == 0:
                writer.add_event(_scalar_event(f"{prefix}_{key}", value, step))
        writer.flush()

    def on_train_begin(self, logs=None):
        self._frequency = BatchFrequency(self.update_freq) if self.update_freq != "epoch" else None

    def on_epoch_begin(self, epoch, logs=None):
        if self._frequency is not None:
            self._frequency.start_epoch(self.fit_state)

    def on_train_batch_end(self, batch, logs=None):
        if self._frequency is not None and self._frequency.due(batch):
            self._write("train", "batch", logs or {}, self._frequency.total)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if "learning_rate" not in logs and getattr(self.model, "optimizer", None) is not None:
            logs["learning_rate"] = float(np.asarray(self.model.ops.convert_to_numpy(
                self.model.optimizer.learning_rate)))
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k.removeprefix("val_"): v for k, v in logs.items() if k.startswith("val_")}
        self._write("train", "epoch", train, epoch)
        if validation:
            self._write("validation", "epoch", validation, epoch)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

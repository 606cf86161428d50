"""`BackupAndRestore`: back up training at epoch ends (or every `save_freq` batches) and resume from it.

A backup holds the weights, the optimizer and metric variables, and where fit() stands: the epoch,
the batches done in it, and the shuffle seed. A run killed at any point and started again with
the same callback resumes from the last backup, sees the same batches in the same order, and ends
with the weights an uninterrupted run would have. The backup is deleted when training completes
(unless `delete_checkpoint=False`).
"""

from __future__ import annotations

import os

from fitspec.callbacks.callback import Callback
from fitspec.errors import invalid_argument
from fitspec.saving.model_io import load_training_state, save_training_state

BACKUP_FILE = "backup.fitspec"


class BackupAndRestore(Callback):
    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise invalid_argument("BackupAndRestore", "backup_dir", "a folder path", backup_dir)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise invalid_argument("BackupAndRestore", "save_freq", "'epoch' or a positive int (batches)", save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._path = os.path.join(self.backup_dir, BACKUP_FILE)
        self._epoch = 0
        self._batches_since_save = 0

    def on_train_begin(self, logs=None):
        if os.path.exists(self._path):
            self.model._resume_from = load_training_state(self.model, self._path)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _save(self, epoch, steps_done) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        state = {**self.model._fit_state, "epoch": epoch, "steps_done": steps_done}
        save_training_state(self.model, self._path, state)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        self._batches_since_save = 0
        self._save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self._path):
            os.remove(self._path)
            if not os.listdir(self.backup_dir):
                os.rmdir(self.backup_dir)

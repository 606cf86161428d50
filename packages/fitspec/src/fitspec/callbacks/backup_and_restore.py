"""`BackupAndRestore`: back up training at epoch ends (or every `save_freq` batches) and resume from it.

A backup holds the weights, the optimizer and metric variables, and fit()'s `FitState` snapshot:
the epoch, the batches done in it, and the shuffle seed. A run killed at any point and started
again with the same callback resumes from the last backup (validated whole before anything is
assigned), sees the same batches in the same order, and ends with the weights an uninterrupted run
would have. When training completes the backup file is deleted (unless `delete_checkpoint=False`),
and the folder too when it is left empty and a BackupAndRestore created it (the backup records that).
"""

from __future__ import annotations

import os

from fitspec.callbacks.batch_frequency import BatchFrequency, check_save_freq
from fitspec.callbacks.callback import Callback
from fitspec.errors import invalid_argument
from fitspec.replicas import writes_files
from fitspec.saving.model_io import load_training_state, save_training_state

BACKUP_FILE = "backup.fitspec"


class BackupAndRestore(Callback):
    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise invalid_argument("BackupAndRestore", "backup_dir", "a folder path", backup_dir)
        check_save_freq(save_freq, "BackupAndRestore")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._path = os.path.join(self.backup_dir, BACKUP_FILE)
        self._created_dir = False
        self._frequency = BatchFrequency(save_freq) if save_freq != "epoch" else None

    def on_train_begin(self, logs=None):
        if self.fit_state is None:
            raise invalid_argument("BackupAndRestore", "callbacks", "to be passed to fit()",
                                   "<a call without a fit state (evaluate or predict)>")
        if os.path.exists(self._path):
            restored = load_training_state(self.model, self._path, self.fit_state.validate)
            self.fit_state.resume_from(restored.fit_state)
            self._created_dir = restored.created_folder

    def on_epoch_begin(self, epoch, logs=None):
        if self._frequency is not None:
            self._frequency.start_epoch(self.fit_state)

    def _save(self) -> None:
        # only the process that writes makes the folder: two ranks racing through isdir / makedirs made one fail
        if writes_files(self.model.backend) and not os.path.isdir(self.backup_dir):
            os.makedirs(self.backup_dir, exist_ok=True)
            self._created_dir = True
        save_training_state(self.model, self._path, self.fit_state.snapshot(), created_folder=self._created_dir)

    def on_train_batch_end(self, batch, logs=None):
        if self._frequency is not None and self._frequency.due(batch):
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        if self._frequency is not None:
            self._frequency.restart()
        self._save()

    def on_train_end(self, logs=None):
        # only the writer deletes: another rank that ends first would remove the file (and folder) rank 0 still writes
        if self.delete_checkpoint and writes_files(self.model.backend) and os.path.exists(self._path):
            os.remove(self._path)
            if self._created_dir and not os.listdir(self.backup_dir):
                os.rmdir(self.backup_dir)

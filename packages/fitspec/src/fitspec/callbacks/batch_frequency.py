"""Counting batches for callbacks that act every N batches (ModelCheckpoint, BackupAndRestore, TensorBoard).

The batch hooks run once per execution with the index of its last batch, so the batches an
execution ran are the difference of two indices, not one call. Keras 3's rule: the action is due
at the first execution end by which N or more batches ran since it was last due; the count then
restarts from 0. With N a multiple of steps_per_execution that is after batch N, 2N, ...
"""

from __future__ import annotations

from fitspec.errors import invalid_argument


def check_save_freq(save_freq, where: str) -> None:
    if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
        raise invalid_argument(where, "save_freq", "'epoch' or a positive int (batches)", save_freq)


class BatchFrequency:
    def __init__(self, frequency: int):
        self.frequency = frequency
        self.total = 0  # batches counted since the start of training
        self._since_due = 0
        self._last_index = -1

    def start_epoch(self, fit_state=None) -> None:
        """A new epoch, whose first `fit_state.steps_done` batches already ran (a resumed epoch): none without a
        fit state (a callback called outside fit)."""
        self._last_index = (fit_state.steps_done if fit_state is not None else 0) - 1

    def restart(self) -> None:
        """Count from 0 again (after an action taken outside the batch hooks, such as at an epoch end)."""
        self._since_due = 0

    def due(self, batch: int) -> bool:
        """Count the batches up to `batch` (an index within the epoch); whether the action is due."""
        ran = batch - self._last_index
        self._last_index = batch
        self.total += ran
        self._since_due += ran
        if self._since_due >= self.frequency:
            self._since_due = 0
            return True
        return False

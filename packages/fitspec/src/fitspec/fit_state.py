"""`FitState`: where a fit() stands, owned by fit() and read or restored by callbacks that back training up.

fit() moves it after every execution; `snapshot()` gives it as JSON-ready data (BackupAndRestore
writes that into its backup) and `resume_from(snapshot)` makes fit() continue from a snapshot.
"""

from __future__ import annotations

from fitspec.errors import describe, invalid_argument

#: shuffle seeds come from fitspec.seeding.next_seed: non-negative and below 2**63
_SEED_BOUND = 2**63


class FitState:
    """The position of the next batch (`epoch`, `steps_done` batches of it done) and the shuffle seed.

    `steps_per_epoch` is the epoch length when it is known (None for a stream of unknown length).
    """

    def __init__(self, epoch: int, shuffle_seed: int, steps_per_epoch: int | None = None):
        self.epoch = epoch
        self.steps_done = 0
        self.shuffle_seed = shuffle_seed
        self.steps_per_epoch = steps_per_epoch
        self.resumed = False

    def advance(self, epoch: int, steps_done: int) -> None:
        """fit(): the next batch is batch `steps_done` of `epoch`."""
        self.epoch, self.steps_done = epoch, steps_done

    def snapshot(self) -> dict:
        """Where fit() stands, as JSON-ready data: {"epoch", "steps_done", "shuffle_seed"}."""
        return {"epoch": self.epoch, "steps_done": self.steps_done, "shuffle_seed": self.shuffle_seed}

    def validate(self, snapshot, where: str = "FitState.resume_from", source: str | None = None) -> dict:
        """`snapshot` if it is one that this fit can continue from, else the library's error (naming the file
        `source` it was read from, if any)."""
        received = snapshot if source is None else f"<{describe(snapshot)} in the backup {source!r}>"
        expected = ("a dict {'epoch': int >= 0, 'steps_done': int >= 0, 'shuffle_seed': int in [0, 2**63)}"
                    + (f" with steps_done <= {self.steps_per_epoch}" if self.steps_per_epoch is not None else ""))
        if not isinstance(snapshot, dict) or set(snapshot) != {"epoch", "steps_done", "shuffle_seed"}:
            raise invalid_argument(where, "fit_state", expected, received)
        bounds = {"epoch": None, "steps_done": self.steps_per_epoch, "shuffle_seed": _SEED_BOUND - 1}
        for key, upper in bounds.items():
            value = snapshot[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (
                    upper is not None and value > upper):
                raise invalid_argument(where, "fit_state", expected, received)
        return snapshot

    def resume_from(self, snapshot: dict) -> None:
        """Make fit() continue from `snapshot` (validated first): its epoch, its batch, its shuffle seed."""
        snapshot = self.validate(snapshot)
        self.epoch, self.steps_done = snapshot["epoch"], snapshot["steps_done"]
        self.shuffle_seed = snapshot["shuffle_seed"]
        self.resumed = True

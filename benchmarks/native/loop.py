"""The epoch driver every hand-written loop shares: fit()'s batch order, running means, logs per step.

A framework's loop supplies `step(x, y)` (one optimizer step that also updates the running loss
and metric totals on the device), `logs()` (those means as Python floats: one device-to-host
transfer), `reset_metrics()` and `predict_batch(x)`. Nothing here is fitspec's: the point is to
time what a user writes by hand.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np

SEED = 0


def load(backend: str):
    """The native loop module of `backend`, benchmarks/native/<backend>_loop.py (it defines `LOOPS`: variant name ->
    loop class), or None where nobody has written one yet."""
    name = f"benchmarks.native.{backend}_loop"
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


def epoch_order(size: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The sample order of `epoch`, drawn as fit() draws it: numpy's PCG64 seeded with (seed, epoch)."""
    return np.random.default_rng([SEED, epoch]).permutation(size) if shuffle else np.arange(size)


class NativeLoop:
    """Subclasses set up parameters from the fitspec model's initial weights and supply the step."""

    def __init__(self, spec, weights: list[np.ndarray], device: str):
        self.spec, self.device = spec, device

    # -- per framework ----------------------------------------------------------------------------
    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def logs(self) -> dict[str, float]:
        raise NotImplementedError

    def reset_metrics(self) -> None:
        raise NotImplementedError

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sync(self) -> None:
        """Wait until the device has finished every step queued so far (asynchronous dispatch)."""

    # -- shared ---------------------------------------------------------------------------------------
    def train_epoch(self, x, y, epoch: int, logs_every_step: bool = True, shuffle: bool = True) -> dict[str, float]:
        """One pass in fit()'s order; reads the logs after every step (as fit() does per execution) or once."""
        order = epoch_order(len(x), epoch, shuffle)
        batch_size = self.spec.batch_size
        self.reset_metrics()
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            self.step(x[index], y[index])
            if logs_every_step:
                self.logs()
        return self.logs()

    def predict(self, x) -> np.ndarray:
        """Batch by batch, each brought back to the host, then concatenated (as predict() returns numpy)."""
        batch_size = self.spec.batch_size
        return np.concatenate([self.predict_batch(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])

"""`TerminateOnNaN`: stop training as soon as the logged loss is NaN or infinite."""

from __future__ import annotations

from fitspec.callbacks.callback import Callback
from fitspec.callbacks.monitor import is_finite_number


class TerminateOnNaN(Callback):
    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not is_finite_number(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True

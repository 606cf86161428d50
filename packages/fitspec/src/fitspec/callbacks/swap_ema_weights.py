"""`SwapEMAWeights`: evaluate and predict with the optimizer's moving averages of the weights (use_ema=True).

Before evaluate / predict (the validation of fit included) the model's trainable variables and their moving averages
trade places, and trade back after; with swap_on_epoch=True they trade at each epoch's end (callbacks after this one
see the averages) and back at the next epoch's start, and after the last epoch the averages are set to the weights
they hold then, so that fit's finalize keeps them.
"""

from __future__ import annotations

from fitspec.callbacks.callback import Callback
from fitspec.errors import invalid_argument


class SwapEMAWeights(Callback):
    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizers(self) -> list:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        optimizers = [o for o in getattr(optimizer, "optimizers", [optimizer]) if getattr(o, "use_ema", False)]
        if not optimizers:
            raise invalid_argument("SwapEMAWeights", "model.optimizer", "an optimizer created with use_ema=True",
                                   f"<{type(optimizer).__name__} with use_ema=False>")
        return optimizers

    def _swap(self) -> None:
        for optimizer in self._optimizers():
            ops = optimizer.ops
            for variable, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
                weights = ops.convert_to_tensor(variable.numpy())
                variable.assign(average.value)
                average.assign(weights)

    def _finalize(self) -> None:
        for optimizer in self._optimizers():
            for variable, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
                average.assign(variable.value)

    def _swap_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _swap_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params["epochs"] - 1:
                self._finalize()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()

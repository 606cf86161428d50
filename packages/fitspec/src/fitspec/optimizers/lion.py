"""Lion (Keras 3): var -= lr sign(b1 m + (1 - b1) g);  then m = b2 m + (1 - b2) g."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.optimizers.base import Optimizer


class Lion(Optimizer):
    hyperparameters = ("beta_1", "beta_2")
    slot_names = {"_momentums": "momentum"}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, name=None, **kwargs):
        if not 0 < beta_1 <= 1:
            raise invalid_argument("Lion", "beta_1", "a float in (0, 1] (at 0 Lion is SignSGD)", beta_1)
        super().__init__(learning_rate, weight_decay, beta_1=beta_1, beta_2=beta_2, name=name, **kwargs)

    def update_group(self, group, gradients, variables, learning_rate):
        b1, b2 = group.cast(self.beta_1), group.cast(self.beta_2)
        m = group.slots(self._momentums)
        variables.assign_sub(group.cast(learning_rate) * group.sign(m * b1 + gradients * (1.0 - b1)))
        m.assign(m * b2 + gradients * (1.0 - b2))

"""SGD (Keras 3): without momentum var -= lr g; with momentum mu: m = mu m - lr g; var += m
(nesterov: var += mu m - lr g, with the new m)."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.optimizers.base import Optimizer


class SGD(Optimizer):
    hyperparameters = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, name=None, **kwargs):
        if not 0 <= momentum <= 1:
            raise invalid_argument("SGD", "momentum", "a float in [0, 1]", momentum)
        super().__init__(learning_rate, weight_decay, momentum=momentum, nesterov=nesterov, name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]

    def update_group(self, group, gradients, variables, learning_rate):
        step = group.keep(gradients * group.cast(learning_rate))  # g lr, used twice with nesterov
        if self.momentum == 0:
            variables.assign_sub(step)
            return
        mu = group.cast(self.momentum)
        m = group.slots(self.momentums)
        m.assign(m * mu - step)
        variables.assign_add(m * mu - step if self.nesterov else m)

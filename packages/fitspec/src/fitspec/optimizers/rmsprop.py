"""RMSprop (Keras 3): v = rho v + (1 - rho) g^2;  var -= lr g / sqrt(v + eps).

centered: a = rho a + (1 - rho) g, and the denominator is sqrt(v - a^2 + eps); momentum mu > 0:
m = mu m + lr g / sqrt(...); var -= m.
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class RMSprop(Optimizer):
    hyperparameters = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, rho=rho, momentum=momentum, epsilon=epsilon, centered=centered,
                         name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        self._momentums = []
        if self.momentum > 0:
            self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._average_gradients = []
        if self.centered:
            self._average_gradients = [self.add_variable_from_reference(v, "average_gradient") for v in var_list]

    def update_group(self, group, gradients, variables, learning_rate):
        lr, rho = group.cast(learning_rate), self.rho
        v = group.slots(self._velocities)
        v.assign(rho * v + (1 - rho) * group.square(gradients))
        if self.centered:
            a = group.slots(self._average_gradients)
            a.assign(rho * a + (1 - rho) * gradients)
            denominator = v - group.square(a) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = lr * gradients / group.sqrt(denominator)
        if self.momentum > 0:
            m = group.slots(self._momentums)
            m.assign(self.momentum * m + increment)
            variables.assign_sub(m)
        else:
            variables.assign_sub(increment)

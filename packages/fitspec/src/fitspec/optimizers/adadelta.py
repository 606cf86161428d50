"""Adadelta (Keras 3): with rms(x) = sqrt(x + eps),

  a = rho a + (1 - rho) g^2;  d = -rms(D) g / rms(a);  D = rho D + (1 - rho) d^2;  var += lr d
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class Adadelta(Optimizer):
    hyperparameters = ("rho", "epsilon")
    slot_names = {"_accumulated_grads": "accumulated_grad", "_accumulated_delta_vars": "accumulated_delta_var"}

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, rho=rho, epsilon=epsilon, name=name, **kwargs)

    def update_group(self, group, gradients, variables, learning_rate):
        rho, eps = self.rho, self.epsilon
        a, big_d = group.slots(self._accumulated_grads), group.slots(self._accumulated_delta_vars)
        a.assign(rho * a + (1 - rho) * group.square(gradients))
        delta = group.keep(-(group.sqrt(big_d + eps) * gradients / group.sqrt(a + eps)))
        big_d.assign(rho * big_d + (1 - rho) * group.square(delta))
        variables.assign_add(group.cast(learning_rate) * delta)

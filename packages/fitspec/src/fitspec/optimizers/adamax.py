"""Adamax (Keras 3), with t = iterations + 1:

  m += (g - m)(1 - b1);  u = max(b2 u, |g|);  var -= lr m / ((1 - b1^t)(u + eps))
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class Adamax(Optimizer):
    hyperparameters = ("beta_1", "beta_2", "epsilon")
    slot_names = {"_m": "momentum", "_u": "norm"}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name,
                         **kwargs)

    def update_group(self, group, gradients, variables, learning_rate):
        t = group.local_step(self.iterations)
        m, u = group.slots(self._m), group.slots(self._u)
        m.assign_add((gradients - m) * (1 - self.beta_1))
        u.assign(group.maximum(self.beta_2 * u, group.abs(gradients)))
        variables.assign_sub(group.cast(learning_rate) * m
                             / (group.bias_correction(self.beta_1, t) * (u + self.epsilon)))

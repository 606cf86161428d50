"""Adam and AdamW (Keras 3), with t = iterations + 1 (the step being taken):

  m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);  alpha = lr sqrt(1 - b2^t) / (1 - b1^t);
  var -= alpha m / (sqrt(v) + eps)     (amsgrad: v_hat = max(v_hat, v) in place of v)
AdamW is Adam with weight_decay 0.004 (var -= var wd lr first, as every optimizer's weight decay).
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class Adam(Optimizer):
    hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")
    slot_names = {"_momentums": "momentum", "_velocities": "velocity"}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = [self.add_variable_from_reference(v, "velocity_hat") for v in var_list]

    def update_group(self, group, gradients, variables, learning_rate):
        t = group.local_step(self.iterations)
        alpha = (group.cast(learning_rate) * group.sqrt(group.bias_correction(self.beta_2, t))
                 / group.bias_correction(self.beta_1, t))
        m, v = group.slots(self._momentums), group.slots(self._velocities)
        m.assign_add((gradients - m) * (1 - self.beta_1))
        v.assign_add((group.square(gradients) - v) * (1 - self.beta_2))
        if self.amsgrad:
            v_hat = group.slots(self._velocity_hats)
            v_hat.assign(group.maximum(v_hat, v))
            v = v_hat
        variables.assign_sub(m * alpha / (group.sqrt(v) + self.epsilon))


class AdamW(Adam):
    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name=None, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, name, **kwargs)

"""ScheduleFreeAdamW (Keras 3), with t = iterations + 1; z (the momentum slot) starts as a copy of var:

  lr_t = lr min(t / warmup_steps, 1) (lr without warmup);  v += (g^2 - v)(1 - b2);
  z_new = z - lr_t g / (sqrt(v / (1 - b2^t)) + eps);  x = (var - (1 - b1) z) / b1;
  var = (1 - b1) z_new + b1 ((1 - 1/t) x + z_new / t)
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class ScheduleFreeAdamW(Optimizer):
    hyperparameters = ("beta_1", "beta_2", "epsilon", "warmup_steps")
    slot_names = {"_momentums": "momentum", "_velocities": "velocity"}

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
                 weight_decay=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         warmup_steps=warmup_steps, name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        for z, variable in zip(self._momentums, var_list):
            z.assign(variable.value)

    def update_group(self, group, gradients, variables, learning_rate):
        t, b1 = group.local_step(self.iterations), group.cast(self.beta_1)
        lr = group.cast(learning_rate)
        if self.warmup_steps > 0:
            lr = lr * group.minimum(t / group.cast(self.warmup_steps), group.cast(1.0))
        z, v = group.slots(self._momentums), group.slots(self._velocities)
        z_old = z * 1.0  # a copy: z changes below
        v.assign_add((group.square(gradients) - v) * (1 - group.cast(self.beta_2)))
        z.assign_sub(lr * gradients / (group.sqrt(v / group.bias_correction(self.beta_2, t)) + self.epsilon))
        weight = 1.0 / t
        x_old = (variables - (1 - b1) * z_old) / b1
        variables.assign((1 - b1) * z + b1 * ((1 - weight) * x_old + weight * z))

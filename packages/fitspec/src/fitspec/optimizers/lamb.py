"""Lamb (Keras 3), with t = iterations + 1, per variable:

  m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);  u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps);
  r = ‖var‖ / ‖u‖ (1 where either norm is 0);  var -= r lr u
Its trust ratio takes a norm of each variable, so it is written per variable (`update_step`) with `fs.ops`.
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class Lamb(Optimizer):
    hyperparameters = ("beta_1", "beta_2", "epsilon")
    slot_names = {"_momentums": "momentum", "_velocities": "velocity"}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name,
                         **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        ops, dtype = self.ops, variable.dtype
        lr, gradient = ops.cast(learning_rate, dtype), ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, (gradient - m.value) * (1 - self.beta_1))
        self.assign_add(v, (ops.square(gradient) - v.value) * (1 - self.beta_2))
        m_hat = m.value / (1.0 - ops.power(ops.cast(self.beta_1, dtype), t))
        update = m_hat / (ops.sqrt(v.value / (1.0 - ops.power(ops.cast(self.beta_2, dtype), t))) + self.epsilon)
        w_norm = ops.sqrt(ops.sum(ops.square(variable.value)))
        u_norm = ops.sqrt(ops.sum(ops.square(update)))
        one = ops.cast(1.0, dtype)
        ratio = ops.where(ops.greater(w_norm, 0), ops.where(ops.greater(u_norm, 0), w_norm, one)
                          / ops.where(ops.greater(u_norm, 0), u_norm, one), one)  # no 0/0, even unused
        self.assign_sub(variable, ratio * lr * update)

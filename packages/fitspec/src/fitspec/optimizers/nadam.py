"""Nadam (Keras 3), with t = iterations + 1 and mu_t = b1 (1 - 0.5 · 0.96^t):

  P = P · mu_t (once per step, before the update; P starts at 1);
  m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);
  m_hat = mu_{t+1} m / (1 - P mu_{t+1}) + (1 - mu_t) g / (1 - P);  v_hat = v / (1 - b2^t);
  var -= m_hat lr / (sqrt(v_hat) + eps)
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class Nadam(Optimizer):
    hyperparameters = ("beta_1", "beta_2", "epsilon")
    slot_names = {"_momentums": "momentum", "_velocities": "velocity"}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name,
                         **kwargs)

    def build(self, var_list):
        if self.built:
            return
        dtype = var_list[0].dtype if var_list else self.backend.floatx()
        super().build(var_list)
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        ops, dtype = self.ops, self._u_product.dtype
        t = ops.cast(self.iterations + 1, dtype)
        mu_t = self.beta_1 * (1.0 - 0.5 * ops.power(ops.cast(0.96, dtype), t))
        self._u_product.assign(self._u_product.value * mu_t)
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def update_group(self, group, gradients, variables, learning_rate):
        t, b1, b2 = group.local_step(self.iterations), group.cast(self.beta_1), group.cast(self.beta_2)
        decay = group.cast(0.96)
        mu_t = b1 * (1.0 - 0.5 * group.power(decay, t))
        mu_next = b1 * (1.0 - 0.5 * group.power(decay, group.cast(self.iterations + 2)))
        product = group.cast(self._u_product.value)
        product_next = product * mu_next
        m, v = group.slots(self._momentums), group.slots(self._velocities)
        m.assign_add((gradients - m) * (1 - b1))
        v.assign_add((group.square(gradients) - v) * (1 - b2))
        m_hat = mu_next * m / (1 - product_next) + (1 - mu_t) * gradients / (1 - product)
        v_hat = v / group.bias_correction(self.beta_2, t)
        variables.assign_sub(m_hat * group.cast(learning_rate) / (group.sqrt(v_hat) + self.epsilon))

"""Adafactor (Keras 3), with t = iterations + 1, rms(x) = sqrt(mean(x^2)), per variable:

  rho = min(lr, 1 / sqrt(t));  alpha = max(eps_2, rms(var)) rho;  s = g^2 + eps_1;  b = 1 - t^beta_2_decay;
  rank >= 2: R = b R + (1 - b) mean(s, -1);  C = b C + (1 - b) mean(s, -2);
             v = (R / mean(R, -1))[..., None] · C[..., None, :]          (the factored second moment)
  rank < 2:  v = b v + (1 - b) s
  u = g / sqrt(v);  var -= alpha u / max(1, rms(u) / clip_threshold)
Its moments are means over axes, so it is written per variable (`update_step`) with `fs.ops`. `relative_step` is
kept for Keras's config: with a float rate, Keras's rho is min(lr, 1/sqrt(t)) either way.
"""

from __future__ import annotations

from fitspec.optimizers.base import Optimizer


class Adafactor(Optimizer):
    hyperparameters = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, weight_decay=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, beta_2_decay=beta_2_decay, epsilon_1=epsilon_1,
                         epsilon_2=epsilon_2, clip_threshold=clip_threshold, relative_step=relative_step, name=name,
                         **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # the factored moments of each variable of rank >= 2 (None for the others): rows, then columns
        self._r = [self._factor(v, v.shape[:-1], "velocity_row") for v in var_list]
        self._c = [self._factor(v, (*v.shape[:-2], v.shape[-1]), "velocity_column") for v in var_list]
        self._v = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def _factor(self, variable, shape, name):
        if len(variable.shape) < 2:
            return None
        factor = self.add_variable(tuple(shape), dtype=variable.dtype,
                                   name=f"{variable.path.replace('/', '_')}_{name}")
        factor._place_beside(variable)
        return factor

    def update_step(self, gradient, variable, learning_rate):
        ops, dtype = self.ops, variable.dtype
        lr, gradient = ops.cast(learning_rate, dtype), ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]

        def rms(x):
            return ops.sqrt(ops.mean(ops.square(x)))

        rho = ops.minimum(lr, 1 / ops.sqrt(t))
        alpha = ops.maximum(ops.cast(self.epsilon_2, dtype), rms(variable.value)) * rho
        s = ops.square(gradient) + self.epsilon_1
        b = 1 - ops.power(t, ops.cast(self.beta_2_decay, dtype))
        if len(variable.shape) >= 2:
            self.assign(r, b * r.value + (1 - b) * ops.mean(s, axis=-1))
            self.assign(c, b * c.value + (1 - b) * ops.mean(s, axis=-2))
            rows = r.value / ops.mean(r.value, axis=-1, keepdims=True)
            self.assign(v, ops.expand_dims(rows, -1) * ops.expand_dims(c.value, -2))
        else:
            self.assign(v, b * v.value + (1 - b) * s)
        u = gradient / ops.sqrt(v.value)
        u_hat = u / ops.maximum(ops.cast(1.0, dtype), rms(u) / self.clip_threshold)
        self.assign_sub(variable, alpha * u_hat)

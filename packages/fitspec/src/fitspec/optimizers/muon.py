"""Muon (Keras 3.15): momentum orthogonalised by Newton-Schulz for matrices, AdamW for every other variable.

A variable takes the AdamW step when it is not 2-D, when `exclude_embeddings` and "embedding" is in its path (any
case), or when a pattern of `exclude_layers` is found in its path (`re.search`); every other variable the Muon step:
  m += g + m (μ - 1);  u = NS5(g + μ m if nesterov else m);  var -= (lr u) sqrt(max(rows, cols)) rms_rate
(the last two factors only with rms_rate), with NS5(x): x transposed when rows > cols, x /= (‖x‖_F + 1e-7), then
ns_steps times A = x xᵀ, B = b A + (c A) A, x = a x + B x, and transposed back. The AdamW step is Adam's
(fitspec.optimizers.adam) at lr · adam_lr_ratio. Weight decay var -= var · wd · lr with wd = weight_decay on the Muon
variables and adam_weight_decay on the AdamW ones (lr without adam_lr_ratio). Written per variable (`update_step`).
"""

from __future__ import annotations

import math
import re

from fitspec.errors import invalid_argument
from fitspec.optimizers.base import Optimizer


class Muon(Optimizer):
    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004, epsilon=1e-7,
                 weight_decay=0.004, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None, exclude_embeddings=True,
                 muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5,
                 nesterov=True, rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise invalid_argument("Muon", "ns_steps", "an int >= 0", ns_steps)
        if exclude_layers is not None and (isinstance(exclude_layers, str)
                                           or not all(isinstance(p, str) for p in exclude_layers)):
            raise invalid_argument("Muon", "exclude_layers", "None or a list of regular expressions (str)",
                                   exclude_layers)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps, self.nesterov = adam_lr_ratio, momentum, ns_steps, nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    def _should_use_adamw(self, variable) -> bool:
        """Keras's rule: not 2-D, an embedding (with exclude_embeddings), or a path an exclude_layers pattern finds."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # each variable's momentum, then its velocity if it takes the AdamW step (Keras's order)
        self.momentums, self.adam_velocities = [], []
        for variable in var_list:
            self.momentums.append(self.add_variable_from_reference(variable, "momentum"))
            self.adam_velocities.append(self.add_variable_from_reference(variable, "velocity")
                                        if self._should_use_adamw(variable) else None)

    # -- weight decay: weight_decay on the Muon variables, adam_weight_decay on the AdamW ones --------------------
    def _has_weight_decay(self) -> bool:
        return bool(self.weight_decay) or bool(self.adam_weight_decay)

    def _apply_weight_decay(self, group, variables, learning_rate) -> None:
        ops = self.ops
        for variable in variables.variables:
            if not self._use_weight_decay(variable):
                continue
            decay = self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay
            if decay is None:
                continue
            value = variable.value
            self.assign(variable, value - value * ops.cast(decay, variable.dtype)
                        * ops.cast(learning_rate, variable.dtype))

    # -- the two steps ---------------------------------------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        velocity = self.adam_velocities[index]
        if velocity is not None:
            self._adamw_step(gradient, variable, learning_rate * self.adam_lr_ratio, self.momentums[index], velocity)
        else:
            self._muon_step(gradient, variable, learning_rate, self.momentums[index])

    def _muon_step(self, gradient, variable, learning_rate, m):
        ops = self.ops
        self.assign_add(m, gradient + m.value * (self.momentum - 1))
        direction = gradient + self.momentum * m.value if self.nesterov else m.value
        update = ops.cast(learning_rate, variable.dtype) * self.newton_schulz(direction, self.ns_steps)
        if self.rms_rate is not None:
            rows, cols = variable.shape
            update = update * ops.cast(math.sqrt(max(rows, cols)), variable.dtype) * self.rms_rate
        self.assign_sub(variable, update)

    def _adamw_step(self, gradient, variable, learning_rate, m, v):
        ops, dtype = self.ops, variable.dtype
        lr, t = ops.cast(learning_rate, dtype), ops.cast(self.iterations + 1, dtype)
        alpha = (lr * ops.sqrt(1 - ops.power(ops.cast(self.adam_beta_2, dtype), t))
                 / (1 - ops.power(ops.cast(self.adam_beta_1, dtype), t)))
        self.assign_add(m, (gradient - m.value) * (1 - self.adam_beta_1))
        self.assign_add(v, (ops.square(gradient) - v.value) * (1 - self.adam_beta_2))
        self.assign_sub(variable, m.value * alpha / (ops.sqrt(v.value) + self.epsilon))

    def newton_schulz(self, x, steps: int):
        """NS5(x): the quintic Newton-Schulz iteration towards the orthogonal factor of x (module docstring)."""
        ops = self.ops
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        rows, cols = ops.shape(x)[-2:]
        if rows > cols:
            x = ops.transpose(x)
        x = x / (ops.sqrt(ops.sum(ops.square(x))) + 1e-7)
        for _ in range(steps):
            gram = ops.matmul(x, ops.transpose(x))
            x = a * x + ops.matmul(b * gram + ops.matmul(c * gram, gram), x)
        return ops.transpose(x) if rows > cols else x

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}

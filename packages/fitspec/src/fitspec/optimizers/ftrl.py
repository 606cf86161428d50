"""FTRL-proximal (Keras 3), with p = learning_rate_power (-0.5), l2' = l2 + beta / (2 lr):

  n' = n + g^2;  z += g + 2 l2_shrinkage var - (n'^-p - n^-p) / lr · var;
  var = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 l2');  n = n'
the accumulators n start at initial_accumulator_value (0.1), the linears z at 0.
"""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.optimizers.accumulators import AccumulatorOptimizer


class Ftrl(AccumulatorOptimizer):
    hyperparameters = ("learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
                       "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, name=None, **kwargs):
        for argument, value, expected in (
                ("initial_accumulator_value", initial_accumulator_value, "a float >= 0"),
                ("learning_rate_power", -learning_rate_power, "a float <= 0"),
                ("l1_regularization_strength", l1_regularization_strength, "a float >= 0"),
                ("l2_regularization_strength", l2_regularization_strength, "a float >= 0"),
                ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, "a float >= 0")):
            if value < 0:
                given = learning_rate_power if argument == "learning_rate_power" else value
                raise invalid_argument("Ftrl", argument, expected, given)
        super().__init__(learning_rate, weight_decay, learning_rate_power=learning_rate_power,
                         initial_accumulator_value=initial_accumulator_value,
                         l1_regularization_strength=l1_regularization_strength,
                         l2_regularization_strength=l2_regularization_strength,
                         l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength, beta=beta,
                         name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._linears = [self.add_variable_from_reference(v, "linear") for v in var_list]

    def update_group(self, group, gradients, variables, learning_rate):
        lr, power = group.cast(learning_rate), -float(self.learning_rate_power)
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + group.cast(self.beta) / (2.0 * lr)  # torch: s / t is s · (1 / t)
        n, z = group.slots(self._accumulators), group.slots(self._linears)
        new_n = group.keep(n + group.square(gradients))
        shrunk = gradients + 2 * self.l2_shrinkage_regularization_strength * variables
        z.assign_add(shrunk - (group.pow(new_n, power) - group.pow(n, power)) / lr * variables)
        quadratic = group.pow(new_n, power) / lr + 2 * l2
        variables.assign((group.clip(z, group.cast(-l1), group.cast(l1)) - z) / quadratic)
        n.assign(new_n)

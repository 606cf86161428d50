"""Adagrad (Keras 3): a += g^2;  var -= lr g / sqrt(a + eps), each accumulator a starting at
initial_accumulator_value (0.1)."""

from __future__ import annotations

from fitspec.optimizers.accumulators import AccumulatorOptimizer


class Adagrad(AccumulatorOptimizer):
    hyperparameters = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon, name=name, **kwargs)

    def update_group(self, group, gradients, variables, learning_rate):
        a = group.slots(self._accumulators)
        a.assign_add(group.square(gradients))
        variables.assign_sub(group.cast(learning_rate) * gradients / group.sqrt(a + self.epsilon))

"""The base of Adagrad and Ftrl: one accumulator per variable, starting at `initial_accumulator_value`."""

from __future__ import annotations

from fitspec import initializers
from fitspec.optimizers.base import Optimizer


class AccumulatorOptimizer(Optimizer):
    """Makes `_accumulators` (Keras's slot "accumulator"), each starting at the `initial_accumulator_value`
    hyperparameter, after the base's slots; a subclass makes its own after these."""

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        start = initializers.Constant(self.initial_accumulator_value)
        self._accumulators = [self.add_variable_from_reference(v, "accumulator", start) for v in var_list]

"""`LossScaleOptimizer` (Keras 3): dynamic loss scaling around an inner optimizer.

scale_loss(loss) = loss · S (S = dynamic_scale, float32, starting at initial_scale = 2^15). apply(grads): when every
gradient is finite, the inner optimizer applies grads / S, and S doubles after dynamic_growth_steps such steps in a
row (the count then restarts); when one is not (inf or NaN), nothing changes but S halves and the count restarts.
Without a branch on a tensor (a jitted or traced step runs it): the inner update runs at every call and is kept
where the gradients were finite.
"""

from __future__ import annotations

from fitspec import initializers
from fitspec.errors import invalid_argument
from fitspec.optimizers.base import OPTIONS, Optimizer


class LossScaleOptimizer(Optimizer):
    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        where = "LossScaleOptimizer"
        if not kwargs.pop("dynamic", True):
            raise invalid_argument(where, "dynamic", "True (for a fixed scale set loss_scale_factor on the inner "
                                   "optimizer)", False)
        for option, value in kwargs.items():
            if option not in OPTIONS:
                raise TypeError(f"{where}: unexpected keyword argument `{option}`; expected inner_optimizer, "
                                "initial_scale, dynamic_growth_steps, name.")
            if value != OPTIONS[option]:
                raise invalid_argument(where, option, f"{OPTIONS[option]!r} (set `{option}` on the inner optimizer)",
                                       value)
        if not isinstance(inner_optimizer, Optimizer):
            raise invalid_argument(where, "inner_optimizer", "an Optimizer", inner_optimizer)
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) or \
                dynamic_growth_steps < 1:
            raise invalid_argument(where, "dynamic_growth_steps", "an int >= 1", dynamic_growth_steps)
        if not initial_scale > 0:
            raise invalid_argument(where, "initial_scale", "a positive float", initial_scale)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer, self.initial_scale = inner_optimizer, initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        if self.built:
            return
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int64", name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=initializers.Constant(self.initial_scale),
                                               dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        """Its own (iterations, learning_rate, step_counter, dynamic_scale), then the inner optimizer's."""
        return [*self._variables, *self.inner_optimizer.variables]

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        ops = self.ops
        scale = self.dynamic_scale.value if self.built else self.initial_scale
        return loss * ops.cast(scale, ops.dtype(loss))

    def _scales_loss(self) -> bool:
        return True

    def apply(self, grads, trainable_variables=None):
        ops = self.ops
        grads = list(grads)
        if not self.built:
            self.build(trainable_variables if trainable_variables is not None else [])
        finite = self._all_finite([g for g in grads if g is not None])
        scale = self.dynamic_scale.value
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        kept = [*variables, *self.inner_optimizer.variables]
        before = [ops.multiply(v.value, 1) for v in kept]  # copies (torch updates in place), -0.0 kept
        self.inner_optimizer.apply([None if g is None else g / ops.cast(scale, ops.dtype(g)) for g in grads],
                                   trainable_variables)
        for variable, old in zip(kept, before):
            variable.assign(ops.where(finite, variable.value, old))
        counter = self.step_counter.value
        grow = ops.logical_and(finite, ops.equal(counter, self.dynamic_growth_steps - 1))
        self.step_counter.assign(ops.where(ops.logical_and(finite, ops.logical_not(grow)), counter + 1,
                                           ops.zeros_like(counter)))
        self.dynamic_scale.assign(ops.where(grow, scale * 2.0, ops.where(finite, scale, scale * 0.5)))

    def _all_finite(self, grads):
        """A boolean tensor: no gradient holds an inf or a NaN (0 · x is NaN exactly for those, and so is a sum
        with a NaN term)."""
        ops = self.ops
        total = ops.zeros((), dtype="float32")
        for g in grads:
            total = total + ops.cast(ops.sum(g * 0.0), "float32")
        return ops.logical_not(ops.isnan(total))

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": self.backend.api.optimizers.serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["inner_optimizer"] = cls.backend.api.optimizers.deserialize(config["inner_optimizer"], custom_objects)
        return cls(**config)

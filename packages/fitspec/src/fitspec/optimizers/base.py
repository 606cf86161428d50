"""`Optimizer`: Keras 3's optimizer contract (build, add_variable, update_step, apply, stateless_apply).

apply(grads, variables), in Keras's order: skip variables without a gradient; divide by `loss_scale_factor`; with
`gradient_accumulation_steps` n, add the gradients to the accumulators and update only every n-th call, from their
mean; clip, in the variables' dtypes (at most one of: clipnorm, each g · c / max(‖g‖, c); global_clipnorm, every
g · c / max(‖all g‖, c); clipvalue, clip(g, -c, c)); then per group of variables of one dtype
(fitspec.optimizers.leaves), gradients cast to it: weight decay var -= var · wd · lr (except on the variables
`exclude_from_weight_decay` names), then the update; with `use_ema`, the moving averages of the variables (and every
`ema_overwrite_frequency` steps the variables set to them); finally iterations += 1. The learning rate may be a
schedule, evaluated at `iterations`.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from fitspec import initializers
from fitspec.errors import invalid_argument
from fitspec.naming import to_snake_case, unique_name
from fitspec.optimizers.leaves import Group
from fitspec.schedules import LearningRateSchedule
from fitspec.variables import StatelessScope, Variable

CLIP_OPTIONS = ("clipnorm", "clipvalue", "global_clipnorm")
#: the options of every optimizer (Keras's), after learning_rate, in Keras's order, with their defaults
OPTIONS = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None, "use_ema": False,
           "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
           "gradient_accumulation_steps": None}
AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


class Optimizer:
    """Base class, as Keras's: a subclass creates its slots in `build(var_list)` (after `super().build(var_list)`)
    with `add_variable_from_reference`, and updates one variable in `update_step(gradient, variable, learning_rate)`
    with `self.assign` / `assign_add` / `assign_sub`. The built-in optimizers write their update once over lists of
    variables instead (`update_group`), which each backend maps to its fastest kernels; their `update_step` runs it
    for one variable.
    """

    backend: ClassVar = None
    #: a subclass's own constructor arguments: its `__init__` passes them on by keyword, and the base keeps each as
    #: the attribute of its name and writes it in `get_config`, under Keras's keys
    hyperparameters: ClassVar[tuple[str, ...]] = ()
    #: the slots `build` makes for every variable, in order: attribute -> Keras's slot name
    slot_names: ClassVar[dict[str, str]] = {}

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        where = type(self).__name__
        for option in self.hyperparameters:
            setattr(self, option, kwargs.pop(option))
        for option in kwargs:
            raise TypeError(f"{where}: unexpected keyword argument `{option}`; expected learning_rate, "
                            f"{', '.join(OPTIONS)}, name or an option of {where}.")
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool) or not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise invalid_argument(where, "gradient_accumulation_steps", "None or an int >= 2",
                                   gradient_accumulation_steps)
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise invalid_argument(where, "ema_momentum", "a float in [0, 1]", ema_momentum)
            if ema_overwrite_frequency is not None and (
                    isinstance(ema_overwrite_frequency, bool) or not isinstance(ema_overwrite_frequency, int)
                    or ema_overwrite_frequency < 1):
                raise invalid_argument(where, "ema_overwrite_frequency", "None or an int >= 1",
                                       ema_overwrite_frequency)
        if loss_scale_factor is not None and not loss_scale_factor > 0:
            raise invalid_argument(where, "loss_scale_factor", "None or a positive float", loss_scale_factor)
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = bool(use_ema), ema_momentum, \
            ema_overwrite_frequency
        self.loss_scale_factor, self.gradient_accumulation_steps = loss_scale_factor, gradient_accumulation_steps
        self._exclude_from_weight_decay: set[int] = set()
        self._exclude_from_weight_decay_pattern = None
        clipping = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [k for k in CLIP_OPTIONS if clipping[k] is not None]
        if len(given) > 1:
            raise invalid_argument(where, given[1], f"None when {given[0]} is set (at most one of "
                                   f"{', '.join(CLIP_OPTIONS)})", clipping[given[1]])
        for k in given:
            if clipping[k] <= 0:
                raise invalid_argument(where, k, "a positive float", clipping[k])
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._iterations = self._track(self.backend.Variable(
            np.asarray(0, dtype="int64"), trainable=False, name="iterations", path=f"{self.name}/iterations"))
        self._schedule = None
        if isinstance(learning_rate, LearningRateSchedule):
            self._schedule = learning_rate
            return
        if callable(learning_rate) and not isinstance(learning_rate, Variable):
            raise invalid_argument(where, "learning_rate", "a float or a LearningRateSchedule", learning_rate)
        if isinstance(learning_rate, Variable):
            learning_rate = learning_rate.numpy()
        if not np.isscalar(learning_rate) and np.ndim(learning_rate) != 0:
            raise invalid_argument(where, "learning_rate", "a float", learning_rate)
        if float(learning_rate) < 0:
            raise invalid_argument(where, "learning_rate", "a float >= 0", learning_rate)
        self._learning_rate = self._track(self.backend.Variable(
            np.asarray(learning_rate, dtype=self.backend.floatx()), trainable=False, name="learning_rate",
            path=f"{self.name}/learning_rate"))

    @property
    def ops(self):
        return self.backend.ops

    def _track(self, variable: Variable) -> Variable:
        self._variables.append(variable)
        return variable

    # -- state ----------------------------------------------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        """`iterations`, `learning_rate` (unless a schedule), then the slots in the order `build` made them."""
        return list(self._variables)

    @property
    def iterations(self):
        """The number of applied steps (an int64 Variable); with gradient_accumulation_steps n, the number of updates
        (the calls // n, a tensor), as in Keras."""
        if self.gradient_accumulation_steps:
            return self._iterations.value // self.gradient_accumulation_steps
        return self._iterations

    @property
    def learning_rate(self):
        """The current rate: the variable's value, or the schedule at `iterations`."""
        if self._schedule is None:
            return self._learning_rate.value
        lr = self._schedule(self._iterations.value)
        if tuple(self.ops.shape(lr)) != ():
            raise invalid_argument(type(self).__name__, "learning_rate", "a schedule returning a scalar",
                                   f"<a schedule returning shape {tuple(self.ops.shape(lr))}>")
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        if self._schedule is not None:
            raise TypeError(f"{type(self).__name__}: learning_rate is a {type(self._schedule).__name__} schedule "
                            "and cannot be set; create the optimizer with a float to set it later.")
        self._learning_rate.assign(self.ops.cast(value, self._learning_rate.dtype))

    # -- building (Keras's contract) ---------------------------------------------------------------------------
    def build(self, var_list) -> None:
        """Remember the variables this optimizer updates, in order, and make the `slot_names` slots. A subclass
        creates other slots after calling `super().build(var_list)`."""
        var_list = list(var_list)
        self._trainable_variables = var_list
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(var_list)}
        self._model_variables_moving_average = []  # Keras's name: SwapEMAWeights reads it
        if self.use_ema:
            self._model_variables_moving_average = [self.add_variable_from_reference(v, "average") for v in var_list]
        self._accumulated_gradients = []
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = [self.add_variable_from_reference(v, "gradient_accumulator")
                                           for v in var_list]
        for attribute, slot in self.slot_names.items():
            setattr(self, attribute, [self.add_variable_from_reference(v, slot) for v in var_list])
        self.built = True

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", name=None) -> Variable:
        """A non-trainable variable of this optimizer, saved with it at path `<optimizer name>/<name>`.
        `aggregation` (how replicas combine it, in Keras) is accepted and has no effect: fitspec's optimizer state is
        one copy."""
        if aggregation not in AGGREGATIONS:
            raise invalid_argument(f"{type(self).__name__}.add_variable", "aggregation", f"one of {AGGREGATIONS}",
                                   aggregation)
        dtype = dtype or self.backend.floatx()
        name = name or unique_name("variable")
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        return self._new_variable(value, dtype, name)

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros") -> Variable:
        """A variable of `reference_variable`'s shape and dtype, on its device, named `<its path with / as _>_<name>`
        (Keras's rule)."""
        name = f"{reference_variable.path.replace('/', '_')}_{name or 'var'}"
        variable = self.add_variable(reference_variable.shape, initializer, reference_variable.dtype, name=name)
        variable._place_beside(reference_variable)
        return variable

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One variable per trainable variable, from `add_variable_from_reference`; for a list of names, a tuple of
        such lists, made variable by variable (Keras's order: each variable's slots together)."""
        names = [name] if isinstance(name, str) else list(name)
        initializers_ = [initializer] * len(names) if isinstance(initializer, str) else list(initializer)
        made = tuple([] for _ in names)
        for variable in trainable_variables:
            for slots, slot_name, slot_initializer in zip(made, names, initializers_):
                slots.append(self.add_variable_from_reference(variable, slot_name, slot_initializer))
        return made[0] if isinstance(name, str) else made

    def _new_variable(self, value, dtype, name) -> Variable:
        return self._track(self.backend.Variable(value, dtype=dtype, trainable=False, name=name,
                                                 path=f"{self.name}/{name}"))

    def _get_variable_index(self, variable) -> int:
        """The position of `variable` in the list the optimizer was built with (where its slots are)."""
        return self._trainable_variables_indices[id(variable)]

    # -- writes, as Keras's optimizers make them ------------------------------------------------------------------
    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    # -- updating --------------------------------------------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        """Update one variable from its gradient (Keras's contract; `learning_rate` as `self.learning_rate` gives it,
        not yet cast). A built-in optimizer runs its `update_group` for this one variable."""
        if type(self).update_group is Optimizer.update_group:
            raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable, "
                                      "learning_rate).")
        self.update_group(*Group.of_one(self, gradient, variable), learning_rate)

    def update_group(self, group, gradients, variables, learning_rate):
        """The update of a group of variables of one dtype (fitspec.optimizers.leaves), written once over lists: the
        built-in optimizers' form of `update_step`."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable, "
                                  "learning_rate).")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        """Per group of variables (the backend's `optimizer_group`): weight decay, then `update_group`, or each
        variable through `update_step` where a subclass overrides it (Keras's contract)."""
        own_update_step = type(self).update_step is not Optimizer.update_step

        def step(group, gradients, variables):
            if self._has_weight_decay():
                self._apply_weight_decay(group, variables, learning_rate)
            if not own_update_step:
                self.update_group(group, gradients, variables, learning_rate)
                return
            for g, v in zip(gradients.tensors, variables.variables):
                self.update_step(g, v, learning_rate)

        (getattr(self.backend, "optimizer_group", None) or Group).update(self, grads, trainable_variables, step)

    def _has_weight_decay(self) -> bool:
        return bool(self.weight_decay)

    def _apply_weight_decay(self, group, variables, learning_rate) -> None:
        """var -= var · wd · lr for the group's variables that weight decay applies to (Muon chooses wd per
        variable)."""
        decayed = variables
        if self._exclude_from_weight_decay or self._exclude_from_weight_decay_pattern is not None:
            decayed = group.subset(variables, [self._use_weight_decay(v) for v in variables.variables])
        if len(decayed):
            decayed.assign_sub(decayed * group.cast(self.weight_decay) * group.cast(learning_rate))

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*grads_and_vars)
        return self.apply(list(grads), list(variables))

    def apply(self, grads, trainable_variables=None):
        """var <- update(var, grad) for each pair with a gradient, then iterations += 1."""
        grads, variables = self._checked_arguments(grads, trainable_variables)
        group = self.backend.replica_group()
        if group is not None:  # replicas in processes of their own: the gradient of the global batch (SPEC 13.4)
            grads = group.average_gradients(grads)
        if any(g is None for g in grads):
            variables = [v for g, v in zip(grads, variables) if g is not None]
            grads = [g for g in grads if g is not None]
        if grads:
            if self.loss_scale_factor is not None:
                grads = [g / self.loss_scale_factor for g in grads]
            if self.gradient_accumulation_steps:
                self._accumulate_or_update(grads, variables)
            else:
                self._clip_and_update(grads, variables)
            if self.use_ema:
                self._update_moving_averages()
            for variable in variables:  # Keras's variable constraints, after the update (docs/SPEC.md 8d.10)
                if getattr(variable, "constraint", None) is not None:
                    variable.assign(variable.constraint(variable.value))
        self._iterations.assign_add(1)

    def _clip_and_update(self, grads, variables):
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            ops = self.ops  # clipped in the variables' dtypes
            grads = self._clip([ops.cast(g, v.dtype) for g, v in zip(grads, variables)])
        self._backend_update_step(grads, variables, self.learning_rate)

    def _accumulate_or_update(self, grads, variables):
        """Every n-th call (n = gradient_accumulation_steps) the update from the mean of the last n gradients, and the
        accumulators back to 0; otherwise the gradients added to them. Without a branch on a tensor (a jitted or
        traced step runs it): the update runs at every call and is kept on the n-th, as Keras on JAX does it."""
        ops, steps = self.ops, self.gradient_accumulation_steps
        is_update = ops.equal((self._iterations.value + 1) % steps, 0)
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)] for v in variables]
        sums = [ops.cast(g, a.dtype) + a.value for g, a in zip(grads, accumulators)]
        kept = [v for v in [*self._trainable_variables, *self._variables] if v is not self._iterations]
        before = [ops.multiply(v.value, 1) for v in kept]  # copies (torch updates in place), -0.0 kept
        self._clip_and_update([total / steps for total in sums], variables)
        for variable, old in zip(kept, before):
            variable.assign(ops.where(is_update, variable.value, old))
        for accumulator, total in zip(accumulators, sums):
            accumulator.assign(ops.where(is_update, ops.zeros_like(total), total))

    def _update_moving_averages(self):
        """average = mu average + (1 - mu) var, mu = ema_momentum (0 at the first step); every
        ema_overwrite_frequency-th step, var = average."""
        ops, iterations = self.ops, self.iterations
        for variable, average in zip(self._trainable_variables, self._model_variables_moving_average):
            momentum = ops.cast(ops.not_equal(iterations, 0), variable.dtype) * self.ema_momentum
            average.assign(momentum * average.value + (1 - momentum) * variable.value)
        if self.ema_overwrite_frequency:
            overwrite = ops.equal((iterations + 1) % self.ema_overwrite_frequency, 0)
            for variable, average in zip(self._trainable_variables, self._model_variables_moving_average):
                variable.assign(ops.where(overwrite, average.value, variable.value))

    def finalize_variable_values(self, var_list):
        """With use_ema, set `var_list` (the variables the optimizer was built with) to their moving averages."""
        if self.use_ema:
            for variable, average in zip(var_list, self._model_variables_moving_average):
                variable.assign(average.value)

    def _scales_loss(self) -> bool:
        """Whether `scale_loss` changes the loss (the default train steps skip it otherwise)."""
        return self.loss_scale_factor is not None

    def scale_loss(self, loss):
        """loss · loss_scale_factor (loss as it is without one): the loss a train step differentiates."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # -- weight decay ----------------------------------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """No weight decay for the variables of `var_list`, nor for those whose name contains one of `var_names`
        (a regular expression search, as Keras); before the optimizer is built."""
        if self.built:
            raise ValueError(f"{type(self).__name__}.exclude_from_weight_decay: call it before the optimizer is "
                             "built (before compile and fit build it).")
        self._exclude_from_weight_decay = {id(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        return pattern is None or pattern.search(variable.name) is None

    def _checked_arguments(self, grads, trainable_variables):
        """(grads, variables) as lists, after checking them and building the optimizer on its first call."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{type(self).__name__}.apply: argument `trainable_variables` is required before the optimizer "
                    "is built; received None."
                )
            trainable_variables = self._trainable_variables
        trainable_variables, grads = list(trainable_variables), list(grads)
        if len(grads) != len(trainable_variables):
            raise invalid_argument(
                f"{type(self).__name__}.apply",
                "grads",
                f"{len(trainable_variables)} gradients, one per variable",
                f"<{len(grads)} gradients>",
            )
        if not self.built:
            self.build(trainable_variables)
        index = self._trainable_variables_indices
        for v in trainable_variables:
            if id(v) not in index:
                raise invalid_argument(
                    f"{type(self).__name__}.apply",
                    "trainable_variables",
                    "the variables this optimizer was built with",
                    f"<unknown variable {v.path}>",
                )
        return grads, trainable_variables

    def _clip(self, grads: list) -> list:
        """The gradients clipped by the one clip option set."""
        ops = self.ops

        def norm(g):
            return ops.sqrt(ops.sum(ops.square(g)))

        if self.clipnorm is not None:
            return [None if g is None else g * self.clipnorm / ops.maximum(norm(g), self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            total = ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads if g is not None))
            scale = self.global_clipnorm / ops.maximum(total, self.global_clipnorm)
            return [None if g is None else g * ops.cast(scale, ops.dtype(g)) for g in grads]
        return [None if g is None else ops.clip(g, -self.clipvalue, self.clipvalue) for g in grads]

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """(new trainable values, new optimizer values) from values, without touching any Variable."""
        if not self.built:
            raise ValueError(
                f"{type(self).__name__}.stateless_apply: the optimizer must be built first "
                "(call `optimizer.build(model.trainable_variables)`, or compile and fit)."
            )
        optimizer_variables, trainable_variables = list(optimizer_variables), list(trainable_variables)
        own_variables = self.variables  # a wrapper's include its inner optimizer's
        for argument, given, expected in (
            ("optimizer_variables", optimizer_variables, own_variables),
            ("trainable_variables", trainable_variables, self._trainable_variables),
        ):
            if len(given) != len(expected):
                raise invalid_argument(
                    f"{type(self).__name__}.stateless_apply",
                    argument,
                    f"a list of {len(expected)} values",
                    f"<a sequence of {len(given)} values>",
                )
        mapping = list(zip(own_variables, optimizer_variables))
        mapping += list(zip(self._trainable_variables, trainable_variables))
        with StatelessScope(mapping) as scope:
            self.apply(grads, self._trainable_variables)
        return (
            [scope.get_current_value(v) for v in self._trainable_variables],
            [scope.get_current_value(v) for v in own_variables],
        )

    # -- configuration ---------------------------------------------------------------------------------------------
    def get_config(self) -> dict:
        if self._schedule is not None:
            learning_rate = self.backend.api.optimizers.schedules.serialize(self._schedule)
        else:
            learning_rate = float(np.asarray(self._learning_rate.numpy()))
        return {"name": self.name, "learning_rate": learning_rate,
                **{option: getattr(self, option) for option in OPTIONS},
                **{option: getattr(self, option) for option in self.hyperparameters}}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = cls.backend.api.optimizers.schedules.deserialize(config["learning_rate"],
                                                                                     custom_objects)
        return cls(**config)


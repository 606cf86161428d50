"""Optimizers: Keras 3's update rules, each written once as `update_step(gradient, variable, lr)`.

Formulas (t = iterations + 1, the step being taken):
  SGD      m = mu m - lr g;  var += m  (nesterov: var += mu m - lr g);  without momentum var -= lr g
  RMSprop  v = rho v + (1 - rho) g^2;  var -= lr g / sqrt(v + eps)   (centered / momentum variants)
  Adam     m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);
           alpha = lr sqrt(1 - b2^t) / (1 - b1^t);  var -= alpha m / (sqrt(v) + eps)
  AdamW    Adam after var -= var * weight_decay * lr

Before the update, gradients are clipped (at most one of): clipnorm, each g * c / max(||g||, c);
global_clipnorm, every g * c / max(||all g||, c); clipvalue, clip(g, -c, c). The learning rate may
be a schedule (fitspec.schedules), evaluated at `iterations`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.naming import to_snake_case
from fitspec.schedules import LearningRateSchedule
from fitspec.variables import StatelessScope, Variable

CLIP_OPTIONS = ("clipnorm", "clipvalue", "global_clipnorm")


class Optimizer:
    """Base class: owns `iterations`, `learning_rate` and per-variable slots."""

    backend: ClassVar = None

    def __init__(self, learning_rate=0.001, weight_decay=None, name=None, **options):
        unknown = sorted(set(options) - set(CLIP_OPTIONS))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments {unknown}; "
                            f"expected one of {list(CLIP_OPTIONS)}.")
        self.clipnorm, self.clipvalue, self.global_clipnorm = (options.get(k) for k in CLIP_OPTIONS)
        given = [k for k in CLIP_OPTIONS if options.get(k) is not None]
        if len(given) > 1:
            raise invalid_argument(type(self).__name__, given[1], f"None when {given[0]} is set (at most one of "
                                   f"{', '.join(CLIP_OPTIONS)})", options[given[1]])
        for k in given:
            if options[k] <= 0:
                raise invalid_argument(type(self).__name__, k, "a positive float", options[k])
        self.name = name or to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._slots: dict[str, list[Variable]] = {}
        self.iterations = self._add_state(np.asarray(0, dtype="int64"), "iterations")
        self._schedule = None
        if isinstance(learning_rate, LearningRateSchedule):
            self._schedule = learning_rate
            return
        if callable(learning_rate) and not isinstance(learning_rate, Variable):
            raise invalid_argument(type(self).__name__, "learning_rate",
                                   "a float or a LearningRateSchedule", learning_rate)
        if isinstance(learning_rate, Variable):
            learning_rate = learning_rate.numpy()
        if not np.isscalar(learning_rate) and np.ndim(learning_rate) != 0:
            raise invalid_argument(type(self).__name__, "learning_rate", "a float", learning_rate)
        if float(learning_rate) < 0:
            raise invalid_argument(type(self).__name__, "learning_rate", "a float >= 0", learning_rate)
        self._learning_rate = self._add_state(
            np.asarray(learning_rate, dtype=self.backend.floatx()), "learning_rate"
        )

    @property
    def ops(self):
        return self.backend.ops

    def _add_state(self, value, name):
        variable = self.backend.Variable(value, trainable=False, name=name, path=f"{self.name}/{name}")
        self._variables.append(variable)
        return variable

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    @property
    def learning_rate(self):
        """The current rate: the variable's value, or the schedule at `iterations`."""
        if self._schedule is None:
            return self._learning_rate.value
        lr = self._schedule(self.iterations.value)
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

    def _clip(self, grads: list) -> list:
        ops = self.ops

        def norm(g):
            return ops.sqrt(ops.sum(ops.square(g)))

        if self.clipnorm is not None:
            return [None if g is None else g * self.clipnorm / ops.maximum(norm(g), self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            total = ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads if g is not None))
            scale = self.global_clipnorm / ops.maximum(total, self.global_clipnorm)
            return [None if g is None else g * ops.cast(scale, ops.dtype(g)) for g in grads]
        if self.clipvalue is not None:
            return [None if g is None else ops.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # -- building ---------------------------------------------------------------------------
    def build(self, variables) -> None:
        """Create the slots for `variables` (in order) and remember them for `stateless_apply`."""
        if self.built:
            return
        self._trainable_variables = list(variables)
        self.build_slots(self._trainable_variables)
        self.built = True

    def build_slots(self, variables) -> None:
        """Subclasses create their per-variable state with `add_slot`."""

    def add_slot(self, kind: str, variables) -> list[Variable]:
        slots = [
            self._add_state(np.zeros(v.shape, dtype=v.dtype), f"{v.path.replace('/', '_')}_{kind}")
            for v in variables
        ]
        self._slots[kind] = slots
        return slots

    def _slot(self, kind, variable_index):
        return self._slots[kind][variable_index]

    # -- applying ---------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*grads_and_vars)
        return self.apply(list(grads), list(variables))

    def apply(self, grads, trainable_variables=None):
        """var <- update(var, grad) for each pair, then iterations += 1."""
        grads, variables, index = self._checked_arguments(grads, trainable_variables)
        ops = self.ops
        grads = self._clip([None if g is None else ops.cast(g, v.dtype) for g, v in zip(grads, variables)])
        present = [(g, v) for g, v in zip(grads, variables) if g is not None]
        self._apply_updates([g for g, _ in present], [v for _, v in present], [index[id(v)] for _, v in present],
                            self.learning_rate)
        self.iterations.assign(self.iterations.value + 1)

    def _checked_arguments(self, grads, trainable_variables):
        """(grads, variables, {id(variable): slot index}) after checking them and building the slots."""
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
        self.build(trainable_variables)
        index = self.__dict__.get("_slot_index")
        if index is None or len(index) != len(self._trainable_variables):
            index = self.__dict__["_slot_index"] = {id(v): i for i, v in enumerate(self._trainable_variables)}
        for v in trainable_variables:
            if id(v) not in index:
                raise invalid_argument(
                    f"{type(self).__name__}.apply",
                    "trainable_variables",
                    "the variables this optimizer was built with",
                    f"<unknown variable {v.path}>",
                )
        return grads, trainable_variables, index

    def _apply_updates(self, grads, variables, slot_indices, learning_rate) -> None:
        """Weight decay, then `update_step`, variable by variable; a backend may fuse this loop."""
        ops = self.ops
        for g, v, i in zip(grads, variables, slot_indices):
            vlr = ops.cast(learning_rate, v.dtype)
            if self.weight_decay:
                v.assign(v.value - v.value * ops.cast(self.weight_decay, v.dtype) * vlr)
            self.update_step(g, v, vlr, i)

    def update_step(self, gradient, variable, learning_rate, slot_index):
        raise NotImplementedError

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """(new trainable values, new optimizer values) from values, without touching any Variable."""
        if not self.built:
            raise ValueError(
                f"{type(self).__name__}.stateless_apply: the optimizer must be built first "
                "(call `optimizer.build(model.trainable_variables)`, or compile and fit)."
            )
        optimizer_variables, trainable_variables = list(optimizer_variables), list(trainable_variables)
        for argument, given, expected in (
            ("optimizer_variables", optimizer_variables, self._variables),
            ("trainable_variables", trainable_variables, self._trainable_variables),
        ):
            if len(given) != len(expected):
                raise invalid_argument(
                    f"{type(self).__name__}.stateless_apply",
                    argument,
                    f"a list of {len(expected)} values",
                    f"<a sequence of {len(given)} values>",
                )
        mapping = list(zip(self._variables, optimizer_variables))
        mapping += list(zip(self._trainable_variables, trainable_variables))
        with StatelessScope(mapping) as scope:
            self.apply(grads, self._trainable_variables)
        return (
            [scope.get_current_value(v) for v in self._trainable_variables],
            [scope.get_current_value(v) for v in self._variables],
        )

    def get_config(self) -> dict:
        if self._schedule is not None:
            learning_rate = {"class_name": type(self._schedule).__name__, "config": self._schedule.get_config()}
        else:
            learning_rate = float(np.asarray(self._learning_rate.numpy()))
        config = {"name": self.name, "learning_rate": learning_rate, "weight_decay": self.weight_decay}
        config.update({k: getattr(self, k) for k in CLIP_OPTIONS if getattr(self, k) is not None})
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        learning_rate = config.get("learning_rate")
        if isinstance(learning_rate, dict):
            schedules = cls.backend.api.optimizers.schedules
            schedule_cls = getattr(schedules, learning_rate["class_name"], None)
            if schedule_cls is None:
                raise invalid_argument(f"{cls.__name__}.from_config", "learning_rate",
                                       f"a schedule from {sorted(k for k in vars(schedules) if k[0].isupper())}",
                                       learning_rate["class_name"])
            config["learning_rate"] = schedule_cls(**learning_rate["config"])
        return cls(**config)


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, name=None, **options):
        super().__init__(learning_rate, weight_decay, name, **options)
        if not 0 <= momentum <= 1:
            raise invalid_argument("SGD", "momentum", "a float in [0, 1]", momentum)
        self.momentum, self.nesterov = momentum, nesterov

    def build_slots(self, variables):
        if self.momentum != 0:
            self.add_slot("momentum", variables)

    def update_step(self, g, var, lr, i):
        if self.momentum == 0:
            var.assign(var.value - g * lr)
            return
        mu = self.ops.cast(self.momentum, var.dtype)
        m = self._slot("momentum", i)
        m.assign(m.value * mu - g * lr)
        if self.nesterov:
            var.assign(var.value + (m.value * mu - g * lr))
        else:
            var.assign(var.value + m.value)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=None, name=None,
        **options,
    ):
        super().__init__(learning_rate, weight_decay, name, **options)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build_slots(self, variables):
        self.add_slot("velocity", variables)
        if self.momentum > 0:
            self.add_slot("momentum", variables)
        if self.centered:
            self.add_slot("average_gradient", variables)

    def update_step(self, g, var, lr, i):
        ops = self.ops
        v = self._slot("velocity", i)
        v.assign(self.rho * v.value + (1 - self.rho) * ops.square(g))
        if self.centered:
            a = self._slot("average_gradient", i)
            a.assign(self.rho * a.value + (1 - self.rho) * g)
            denominator = v.value - ops.square(a.value) + self.epsilon
        else:
            denominator = v.value + self.epsilon
        increment = lr * g / ops.sqrt(denominator)
        if self.momentum > 0:
            m = self._slot("momentum", i)
            m.assign(self.momentum * m.value + increment)
            var.assign(var.value - m.value)
        else:
            var.assign(var.value - increment)

    def get_config(self):
        return {
            **super().get_config(), "rho": self.rho, "momentum": self.momentum,
            "epsilon": self.epsilon, "centered": self.centered,
        }


class Adam(Optimizer):
    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None, name=None,
        **options,
    ):
        super().__init__(learning_rate, weight_decay, name, **options)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build_slots(self, variables):
        self.add_slot("momentum", variables)
        self.add_slot("velocity", variables)
        if self.amsgrad:
            self.add_slot("velocity_hat", variables)

    def update_step(self, g, var, lr, i):
        ops = self.ops
        t = ops.cast(self.iterations.value + 1, var.dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, var.dtype), t)
        beta_2_power = ops.power(ops.cast(self.beta_2, var.dtype), t)
        m, v = self._slot("momentum", i), self._slot("velocity", i)
        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign(m.value + (g - m.value) * (1 - self.beta_1))
        v.assign(v.value + (ops.square(g) - v.value) * (1 - self.beta_2))
        v_used = v.value
        if self.amsgrad:
            v_hat = self._slot("velocity_hat", i)
            v_hat.assign(ops.maximum(v_hat.value, v.value))
            v_used = v_hat.value
        var.assign(var.value - (m.value * alpha) / (ops.sqrt(v_used) + self.epsilon))

    def get_config(self):
        return {
            **super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
            "epsilon": self.epsilon, "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    def __init__(
        self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name=None,
        **options,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, name, **options)


CLASSES = {cls.__name__: cls for cls in (SGD, RMSprop, Adam, AdamW)}
NAMES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}

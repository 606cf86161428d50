"""`OptimizerMap` and `MultiOptimizer` (Keras 3.15): each variable updated by the optimizer its path selects.

OptimizerMap(default_optimizer, optimizer_map=None): map[path] is the optimizer of that exact key, else of the one
key that `re.fullmatch`es the path (two are an error), else the default. MultiOptimizer(optimizer_map) takes such a
map, or any callable variable -> optimizer: `build(vars)` asks it for each variable and builds every inner optimizer
on its variables in their order; `apply` gives each inner optimizer its gradients and variables, then counts its own
`iterations`. Its `variables` are its own (iterations, learning_rate), then each inner optimizer's in the order
they were first met (the map's values, its default, then any other the callable returns); it has no learning rate
of its own; `loss_scale_factor` is set on every inner optimizer.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import ClassVar

from fitspec.errors import invalid_argument
from fitspec.optimizers.base import Optimizer
from fitspec.optimizers.loss_scale_optimizer import LossScaleOptimizer


def _check_inner(optimizer, where: str, argument: str) -> None:
    if not isinstance(optimizer, Optimizer) or isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
        raise invalid_argument(where, argument, "an Optimizer other than a LossScaleOptimizer or a MultiOptimizer",
                               optimizer)


class OptimizerMap(MutableMapping):
    """Variable paths (or regular expressions over them) -> optimizers, with a default for the other paths."""

    backend: ClassVar = None

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise invalid_argument("OptimizerMap", "default_optimizer", "an Optimizer", default_optimizer)
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise invalid_argument("OptimizerMap", "optimizer_map", "None or a dict {path or pattern: Optimizer}",
                                   optimizer_map)
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise invalid_argument("OptimizerMap", "key", "a path that at most one pattern of the map matches",
                                   f"{key!r}, matched by {matching}")
        return self._optimizer_map[matching[0]] if matching else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if not isinstance(key, str):
            raise invalid_argument("OptimizerMap", "key", "a variable path or a regular expression (str)", key)
        if key in self._optimizer_map:
            raise invalid_argument("OptimizerMap", "key", "a key not yet in the map", key)
        _check_inner(optimizer, "OptimizerMap", "optimizer")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self) -> dict:
        serialize = self.backend.api.optimizers.serialize
        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {key: serialize(optimizer) for key, optimizer in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        deserialize = cls.backend.api.optimizers.deserialize
        return cls(deserialize(config["default_optimizer"], custom_objects),
                   {key: deserialize(c, custom_objects) for key, c in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise invalid_argument("MultiOptimizer", "optimizer_map", "an OptimizerMap or a function variable -> "
                                   "Optimizer", optimizer_map)
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        for optimizer in [*getattr(optimizer_map, "values", list)(),
                          getattr(optimizer_map, "default_optimizer", None)]:
            if optimizer is not None and all(optimizer is not o for o in self._inner_optimizers):
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in self.__dict__.get("_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def optimizers(self) -> list:
        return list(self._inner_optimizers)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self._optimizer_of = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            _check_inner(optimizer, "MultiOptimizer", f"optimizer_map({variable.path!r})")
            if all(optimizer is not o for o in self._inner_optimizers):
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
            self._optimizer_of[id(variable)] = next(i for i, o in enumerate(self._inner_optimizers) if o is optimizer)
        for i, optimizer in enumerate(self._inner_optimizers):
            own = self._variables_of(i, var_list)
            if own:
                optimizer.build(own)
        super().build(var_list)

    def _variables_of(self, index: int, variables: list) -> list:
        return [v for v in variables if self._optimizer_of.get(id(v)) == index]

    @property
    def variables(self):
        return [*self._variables, *(v for optimizer in self._inner_optimizers for v in optimizer.variables)]

    @property
    def learning_rate(self):
        raise AttributeError("MultiOptimizer has no learning rate of its own: read it on an optimizer of "
                             "`optimizer.optimizers`.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("MultiOptimizer has no learning rate of its own: set it on an optimizer of "
                             "`optimizer.optimizers`.")

    @property
    def iterations(self):
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None and not self.built:
            raise ValueError("MultiOptimizer.apply: argument `trainable_variables` is required before the optimizer "
                             "is built; received None.")
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        if not self.built:
            self.build(variables)
        if len(grads) != len(self._trainable_variables) or len(variables) != len(grads):
            raise invalid_argument("MultiOptimizer.apply", "grads", f"{len(self._trainable_variables)} gradients, "
                                   "one per variable it was built with", f"<{len(grads)} gradients>")
        for variable in variables:
            if id(variable) not in self._optimizer_of:
                raise invalid_argument("MultiOptimizer.apply", "trainable_variables", "the variables this optimizer "
                                       "was built with", f"<unknown variable {variable.path}>")
        for i, optimizer in enumerate(self._inner_optimizers):
            pairs = [(g, v) for g, v in zip(grads, variables) if self._optimizer_of[id(v)] == i]
            if pairs:
                optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list):
        var_list = list(var_list)
        for i, optimizer in enumerate(self._inner_optimizers):
            own = self._variables_of(i, var_list)
            if own:
                optimizer.finalize_variable_values(own)

    def get_config(self):
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise invalid_argument("MultiOptimizer.get_config", "optimizer_map", "an OptimizerMap (a function "
                                   "cannot be saved: no code runs on load)", self._optimizer_map)
        return {"optimizer_map": {"module": "keras.optimizers", "class_name": "OptimizerMap",
                                  "config": self._optimizer_map.get_config(), "registered_name": None},
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizer_map = config.get("optimizer_map")
        if not isinstance(optimizer_map, dict) or optimizer_map.get("class_name") != "OptimizerMap":
            raise invalid_argument("MultiOptimizer.from_config", "optimizer_map", "the config of an OptimizerMap",
                                   optimizer_map)
        config["optimizer_map"] = cls.backend.api.optimizers.OptimizerMap.from_config(optimizer_map["config"],
                                                                                        custom_objects)
        return cls(**config)

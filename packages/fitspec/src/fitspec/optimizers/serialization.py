"""`fs.optimizers.get` / `serialize` / `deserialize` and the schedules' `serialize` / `deserialize` (Keras 3's forms).

serialize(obj) = {"module", "class_name", "config": obj.get_config(), "registered_name"}, Keras's dict, so that a
config written by either library names the class the other rebuilds; deserialize reads "class_name" (any case for a
built-in optimizer, as Keras lower-cases it) and "config", looking in custom_objects, then the backend's classes, then
the classes registered with `fs.saving.register_serializable`.
"""

from __future__ import annotations

import inspect

from fitspec.errors import invalid_argument
from fitspec.optimizers import NAMES, Optimizer
from fitspec.saving.registry import registered_name, resolve_class
from fitspec.schedules import LearningRateSchedule

MODULES = {"optimizers": "keras.optimizers", "optimizers.schedules": "keras.optimizers.schedules"}


def _serialize(obj, kind: str, module: str, where: str) -> dict:
    if not isinstance(obj, kind):
        raise invalid_argument(where, "obj" if kind is Optimizer else "learning_rate_schedule",
                               f"a {kind.__name__}", obj)
    name = registered_name(obj)
    return {"module": MODULES[module], "class_name": name.split(">")[-1], "config": obj.get_config(),
            "registered_name": name if ">" in name else None}


def _deserialize(config, namespace, backend, custom_objects, where: str, names: dict):
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise invalid_argument(where, "config", "a dict {'class_name': str, 'config': dict}", config)
    class_name = config.get("registered_name") or config["class_name"]
    class_name = names.get(class_name.lower(), class_name)
    builtins = {k: v for k, v in vars(namespace).items() if inspect.isclass(v)}
    cls = resolve_class(class_name, builtins, custom_objects, backend, where)
    return cls.from_config(dict(config.get("config") or {}))


def serialize_optimizer(api, optimizer) -> dict:
    return _serialize(optimizer, Optimizer, "optimizers", "optimizers.serialize")


def deserialize_optimizer(api, config, custom_objects=None):
    optimizer = _deserialize(config, api.optimizers, api.optimizers.Optimizer.backend, custom_objects,
                             "optimizers.deserialize", NAMES)
    if not isinstance(optimizer, Optimizer):
        raise invalid_argument("optimizers.deserialize", "config", "the config of an Optimizer", config)
    return optimizer


def get_optimizer(api, identifier):
    """None, an Optimizer (returned as it is), a name ("adam", "Adam") or a config dict."""
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        if NAMES.get(identifier.lower(), identifier) not in NAMES.values():
            raise invalid_argument("optimizers.get", "identifier", f"an Optimizer, a config dict or one of "
                                   f"{sorted(NAMES)}", identifier)
        identifier = {"class_name": identifier, "config": {}}
    if isinstance(identifier, dict):
        return deserialize_optimizer(api, identifier)
    raise invalid_argument("optimizers.get", "identifier", "an Optimizer, a config dict or an optimizer's name",
                           identifier)


def serialize_schedule(api, learning_rate_schedule) -> dict:
    return _serialize(learning_rate_schedule, LearningRateSchedule, "optimizers.schedules",
                      "optimizers.schedules.serialize")


def deserialize_schedule(api, config, custom_objects=None):
    schedule = _deserialize(config, api.optimizers.schedules, api.optimizers.Optimizer.backend, custom_objects,
                            "optimizers.schedules.deserialize", {})
    if not isinstance(schedule, LearningRateSchedule):
        raise invalid_argument("optimizers.schedules.deserialize", "config", "the config of a LearningRateSchedule",
                               config)
    return schedule



def _named(functions: dict, module: str) -> dict:
    for name, function in functions.items():
        function.__name__ = function.__qualname__ = name
        function.__module__ = module
    return functions


def optimizer_functions(api) -> dict:
    """`get`, `serialize`, `deserialize` of the backend's `fs.optimizers` (`api.optimizers` once it is built)."""
    return _named({
        "get": lambda identifier: get_optimizer(api, identifier),
        "serialize": lambda optimizer: serialize_optimizer(api, optimizer),
        "deserialize": lambda config, custom_objects=None: deserialize_optimizer(api, config, custom_objects),
    }, "optimizers")


def schedule_functions(api) -> dict:
    """`serialize`, `deserialize` of the backend's `fs.optimizers.schedules`."""
    return _named({
        "serialize": lambda learning_rate_schedule: serialize_schedule(api, learning_rate_schedule),
        "deserialize": lambda config, custom_objects=None: deserialize_schedule(api, config, custom_objects),
    }, "optimizers.schedules")

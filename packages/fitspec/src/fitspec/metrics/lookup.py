"""`fs.metrics.get` / `serialize` / `deserialize`, as Keras 3 has them, over a backend's bound metric classes.

A name (a class name, its snake_case form or a short alias such as "mse") gives an instance of that class with its
defaults; a dict {"class_name", "config"} (Keras's serialized form) gives the class built from its config; a
Metric, or any callable, is returned as it is.
"""

from __future__ import annotations

import inspect

from fitspec.errors import invalid_argument
from fitspec.metrics.base import Metric
from fitspec.metrics.registry import CLASSES, NAMES
from fitspec.saving.registry import registered_name, resolve_class


def _names() -> list[str]:
    return sorted({*CLASSES, *NAMES})


def get(api, identifier):
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(api, identifier)
    if isinstance(identifier, str):
        class_name = identifier if identifier in CLASSES else NAMES.get(identifier)
        if class_name is None:
            raise invalid_argument("metrics.get", "identifier", f"a Metric, a function, a config dict or one of "
                                   f"{_names()}", identifier)
        return getattr(api.metrics, class_name)()
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise invalid_argument("metrics.get", "identifier", "a Metric, a function, a config dict or a metric name",
                           identifier)


def serialize(metric) -> dict:
    """{"module": "keras.metrics", "class_name", "config", "registered_name"}; a function by its name."""
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": registered_name(metric), "config": metric.get_config(),
                "registered_name": None}
    if callable(metric) and getattr(metric, "__name__", None):
        return {"module": "keras.metrics", "class_name": "function", "config": metric.__name__,
                "registered_name": metric.__name__}
    raise invalid_argument("metrics.serialize", "metric", "a Metric or a metric function", metric)


def deserialize(api, config, custom_objects=None):
    if isinstance(config, str):
        return get(api, config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise invalid_argument("metrics.deserialize", "config", "a metric name or a dict with 'class_name' and "
                               "'config'", config)
    if config["class_name"] == "function":
        name = config.get("config")
        fn = (custom_objects or {}).get(name) or getattr(api.metrics, str(name), None)
        if fn is None or not callable(fn):
            raise invalid_argument("metrics.deserialize", "config", "the name of a metric function",
                                   config.get("config"))
        return fn
    builtins = {name: getattr(api.metrics, name) for name in CLASSES}
    cls = resolve_class(config["class_name"], builtins, custom_objects, api.metrics.Metric.backend,
                        "metrics.deserialize")
    return cls(**{key: plain_value(value) for key, value in dict(config.get("config") or {}).items()})


def plain_value(value):
    """A value of a config as Python data: Keras writes an array argument (AUC's label_weights) as
    {"class_name": "__tensor__" or "__numpy__", "config": {"value": [...], "dtype": ...}}."""
    if isinstance(value, dict) and value.get("class_name") in ("__tensor__", "__numpy__"):
        return value["config"]["value"]
    return value

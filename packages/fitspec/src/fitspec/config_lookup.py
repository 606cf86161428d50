"""Keras's `serialize` / `deserialize` / `get` contract for the small configurable objects (initializers,
regularizers, constraints): one dict shape, one name lookup, one error."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.saving.registry import resolve_class


def serialize(obj, builtins: dict, module: str) -> dict:
    """`{"module", "class_name", "config", "registered_name"}`, the dict Keras 3 writes (`module` "keras.<module>" for
    a built-in class, so Keras's own `deserialize` reads it)."""
    builtin = builtins.get(type(obj).__name__) is type(obj)
    return {"module": f"keras.{module}" if builtin else type(obj).__module__, "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": getattr(type(obj), "_registered_name", None)}


def deserialize(config, names: dict, custom_objects, where: str, argument: str, kind: str):
    """The object of a name or of a `{"class_name", "config"}` dict (`module`, `registered_name` optional): a name of
    `names` (str -> class), else a `custom_objects` or registered class."""
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) \
            or not isinstance(config.get("config", {}), dict):
        raise invalid_argument(where, argument, "a name or a dict {'class_name': str, 'config': dict}", config)
    name = config.get("registered_name") or config["class_name"]
    if name in names and not (custom_objects and name in custom_objects):
        cls = names[name]
    else:
        try:
            cls = resolve_class(name, {}, custom_objects, None, where)
        except ValueError:
            raise invalid_argument(where, argument, f"{kind} named one of {sorted(names)} or a registered class",
                                   config["class_name"]) from None
    return cls.from_config(dict(config.get("config", {})))

"""User classes that configs may name: `@fs.saving.register_serializable()` or `custom_objects=`."""

from __future__ import annotations

from fitspec.errors import invalid_argument

_REGISTRY: dict[str, type] = {}


def register_serializable(package: str = "Custom", name: str | None = None):
    """Class decorator: configs naming `package>Name` (or just `Name`) rebuild this class."""

    def decorate(cls):
        key = f"{package}>{name or cls.__name__}"
        _REGISTRY[key] = cls
        cls._registered_name = key
        return cls

    return decorate


def registered_name(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return getattr(cls, "_registered_name", None) or cls.__name__


def resolve_class(class_name: str, builtins: dict, custom_objects: dict | None, backend, where: str):
    """custom_objects first, then the built-in classes of `backend`, then the registry."""
    custom_objects = custom_objects or {}
    short = class_name.split(">")[-1]
    for key in (class_name, short):
        if key in custom_objects:
            return custom_objects[key]
    if short in builtins:
        return builtins[short]
    cls = _REGISTRY.get(class_name) or next((c for k, c in _REGISTRY.items() if k.split(">")[-1] == short), None)
    if cls is not None:
        owner = getattr(cls, "backend", None)
        if owner is not None and backend is not None and owner is not backend:
            raise invalid_argument(
                where, "custom_objects", f"the class {short!r} defined for the {backend.name} backend "
                f"(the registered one belongs to {owner.name}): pass custom_objects={{{short!r}: YourClass}}",
                "<no such class for this backend>",
            )
        return cls
    raise invalid_argument(
        where, "custom_objects",
        f"the class {short!r} named by the saved config: pass custom_objects={{{short!r}: {short}}} or decorate "
        f"the class with @fs.saving.register_serializable()",
        "<an unknown class>",
    )

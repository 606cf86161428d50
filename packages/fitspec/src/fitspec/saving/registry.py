"""User objects that configs may name: `@fs.saving.register_keras_serializable()`, `custom_objects=`, and
`custom_object_scope(...)`, looked up in that order (innermost first) and before the built-ins, as in Keras 3.

A registered name is `package>name` (Keras's form). A registered class that belongs to a backend (a subclass of
`fs.layers.Layer`, ...) is kept per backend too, so the same name registered on two backends rebuilds on each.
"""

from __future__ import annotations

import contextlib
import threading

from fitspec.errors import invalid_argument

#: {registered name: object}: Keras's global custom objects, the dict `get_custom_objects()` returns (mutable)
GLOBAL_CUSTOM_OBJECTS: dict[str, object] = {}
#: {object: registered name} for objects registered with the decorator
_NAMES: dict[object, str] = {}
#: {(registered name, backend name): class} for registered classes bound to a backend
_BY_BACKEND: dict[tuple[str, str], type] = {}
_scopes = threading.local()


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator of a class or a function: configs naming `package>name` rebuild it."""
    if not isinstance(package, str) or ">" in package:
        raise invalid_argument("register_keras_serializable", "package", "a string without '>'", package)

    def decorate(obj):
        if not callable(obj):
            raise invalid_argument("register_keras_serializable", "obj", "a class or a function", obj)
        if isinstance(obj, type) and "get_config" not in dir(obj):
            raise invalid_argument("register_keras_serializable", "obj", "a class with a get_config() method", obj)
        key = f"{package}>{name or obj.__name__}"
        GLOBAL_CUSTOM_OBJECTS[key] = obj
        _NAMES[obj] = key
        backend = getattr(obj, "backend", None) if isinstance(obj, type) else None
        if backend is not None:
            _BY_BACKEND[(key, backend.name)] = obj
        return obj

    return decorate


def get_custom_objects() -> dict:
    """The global {name: object} dict; entries added to it resolve like registered ones (Keras 2's idiom)."""
    return GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    """`package>name` of a registered class or function, else its `__name__`."""
    return _NAMES.get(obj) or getattr(obj, "__name__", type(obj).__name__)


def registered_name(obj) -> str:
    """The registered name of `obj`'s class (of `obj` itself when it is a class)."""
    return get_registered_name(obj if isinstance(obj, type) else type(obj))


def is_registered(obj) -> bool:
    return obj in _NAMES if _hashable(obj) else False


def _hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


class CustomObjectScope(contextlib.ContextDecorator):
    """`with custom_object_scope({"name": obj}, ...):` configs loaded inside resolve these names first."""

    def __init__(self, *custom_objects):
        for i, objects in enumerate(custom_objects):
            if not isinstance(objects, dict):
                raise invalid_argument("custom_object_scope", f"custom_objects[{i}]", "a dict {name: object}",
                                       objects)
        self.custom_objects = {k: v for objects in custom_objects for k, v in objects.items()}

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope_stack().pop()
        return False


custom_object_scope = CustomObjectScope


def _scope_stack() -> list:
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def lookup(names, custom_objects=None, backend=None):
    """The object the first of `names` (a registered name, then a class name) names in `custom_objects`, the
    scopes (innermost first) or the global registry; None when none does. A registered class bound to another
    backend is replaced by the same name's class on `backend`, or refused."""
    tables = [custom_objects or {}, *reversed(_scope_stack()), GLOBAL_CUSTOM_OBJECTS]
    for table in tables:
        for key in names:
            if key is not None and key in table:
                return _on_backend(table[key], key, backend)
    return None


def _on_backend(obj, key, backend):
    owner = getattr(obj, "backend", None) if isinstance(obj, type) else None
    if owner is None or backend is None or owner is backend:
        return obj
    same = _BY_BACKEND.get((key, backend.name))
    if same is not None:
        return same
    short = key.split(">")[-1]
    raise invalid_argument(
        "deserialize", "custom_objects", f"the class {short!r} defined for the {backend.name} backend (the one "
        f"registered as {key!r} belongs to {owner.name}): pass custom_objects={{{short!r}: YourClass}} or register "
        "the class of this backend", "<no such class for this backend>",
    )


def unknown(kind: str, name: str, where: str) -> ValueError:
    short = name.split(">")[-1]
    return invalid_argument(
        where, "custom_objects",
        f"the {kind} {name!r} named by the saved config: pass custom_objects={{{name!r}: {short}}}, load inside "
        f"`custom_object_scope`, or decorate the {kind} with @fs.saving.register_keras_serializable() "
        "(alias register_serializable)",
        f"<an unknown {kind}>",
    )


def resolve_class(class_name: str, builtins: dict, custom_objects: dict | None, backend, where: str):
    """The class a legacy (fitspec 0.1) config names: custom objects, then the built-ins of `backend`, then the
    registry, by full or short name."""
    short = class_name.split(">")[-1]
    found = lookup([class_name, short], custom_objects, backend)
    if found is not None:
        return found
    if short in builtins:
        return builtins[short]
    key = next((k for k in GLOBAL_CUSTOM_OBJECTS if k.split(">")[-1] == short), None)
    if key is not None:
        return _on_backend(GLOBAL_CUSTOM_OBJECTS[key], key, backend)
    raise unknown("class", short, where)


# Keras 2 / fitspec 0.1 spelling
register_serializable = register_keras_serializable

"""The registry of installed backends: every backend package declares itself with a `fitspec.backends` entry point.

A package's pyproject.toml names its backend and the module that is its user namespace
(`[project.entry-points."fitspec.backends"] jax = "fitspec_jax"`); reading the registry imports nothing.
"""

from __future__ import annotations

import importlib.metadata
import re
import types

from fitspec.errors import invalid_argument

GROUP = "fitspec.backends"


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for entry in importlib.metadata.entry_points(group=GROUP):
        other = found.get(entry.name)
        if other is not None and other.value != entry.value:
            raise RuntimeError(f"two installed packages declare the fitspec backend {entry.name!r}: "
                               f"{other.value!r} and {entry.value!r}; uninstall one")
        found[entry.name] = entry
    return dict(sorted(found.items()))


def names() -> list[str]:
    """The installed backends, by name, in alphabetical order."""
    return list(_entry_points())


def _entry(name: str) -> importlib.metadata.EntryPoint:
    entries = _entry_points()
    if name not in entries:
        raise invalid_argument("fitspec.backend_registry", "name", f"an installed backend, one of {list(entries)}",
                               name)
    return entries[name]


def load(name: str) -> types.ModuleType:
    """The user namespace of backend `name` (`fs`), imported."""
    return _entry(name).load()


def requirements(name: str) -> list[str]:
    """The distributions backend `name`'s package requires (its framework among them), by name."""
    entry = _entry(name)
    required = importlib.metadata.requires(entry.dist.name) if entry.dist is not None else None
    return [re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0] for r in required or [] if "extra ==" not in r]


def distribution(name: str) -> str:
    """The name of the distribution that declares backend `name` (e.g. "fitspec-jax")."""
    entry = _entry(name)
    return entry.dist.name if entry.dist is not None else name

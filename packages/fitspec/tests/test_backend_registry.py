"""The registry of backends: what the installed packages declare, loaded by name, with a clear error otherwise."""

import importlib.metadata

import pytest

from fitspec import backend_registry


def test_the_registry_lists_every_declared_backend_by_name():
    declared = {entry.name for entry in importlib.metadata.entry_points(group="fitspec.backends")}
    assert declared, "no installed package declares a fitspec backend"
    assert backend_registry.names() == sorted(declared)


def test_each_declared_backend_loads_as_the_namespace_of_the_backend_of_that_name():
    for name in backend_registry.names():
        fs = backend_registry.load(name)
        assert fs.backend.name == name
        declaring = importlib.metadata.distribution(backend_registry.distribution(name))
        assert name in {entry.name for entry in declaring.entry_points if entry.group == "fitspec.backends"}
        assert "fitspec" in backend_registry.requirements(name)


def test_an_unknown_backend_is_an_error_naming_the_installed_ones():
    with pytest.raises(ValueError, match=r"argument `name` expected an installed backend, one of \[.*\]; "
                                         r"received 'no_such_backend'"):
        backend_registry.load("no_such_backend")

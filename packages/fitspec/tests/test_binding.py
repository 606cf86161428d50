"""Binding: a backend's namespace is the core's plus what the backend declares, built once."""

import sys

import pytest

from fitspec import backend_registry, binding
from fitspec import optimizers as core_optimizers
from fitspec.layers.layer import Layer as CoreLayer


class Extra(CoreLayer):
    """A layer a backend adds."""


def helper():
    return "declared"


def declared_backend(namespace: dict):
    """A backend of the first installed kind that declares `namespace` (and leaves `fs.random` alone)."""
    base = type(backend_registry.load(backend_registry.names()[0]).backend)
    return type("Declaring", (base,), {"namespace": namespace, "random_module": None})()


@pytest.fixture
def package():
    name = "fitspec_binding_test_package"
    yield name
    for module in [m for m in sys.modules if m.startswith(name)]:
        del sys.modules[module]


def test_a_declared_class_is_bound_as_the_core_classes_and_a_declared_function_is_kept(package):
    backend = declared_backend({"layers": {"Extra": Extra}, "utils": {"helper": helper}})
    api = binding.bind(backend, package)
    bound = api.layers.Extra
    assert issubclass(bound, Extra) and issubclass(bound, api.layers.Layer) and bound.backend is backend
    assert bound.__module__ == f"{package}.layers" and "Extra" in api.layers.__all__
    assert sys.modules[f"{package}.layers"] is api.layers
    assert api.utils.helper is helper and api.utils.helper() == "declared"
    assert issubclass(api.layers.Dense, api.layers.Layer)  # the core's classes are all still there


def test_a_declared_function_of_the_bound_classes_replaces_them(package):
    class Faster:
        """A fast path above the bound class."""

    def refine(bound):
        return {"SGD": type("SGD", (Faster, bound.SGD), {})}

    api = binding.bind(declared_backend({"optimizers": refine}), package)
    assert issubclass(api.optimizers.SGD, Faster) and issubclass(api.optimizers.SGD, core_optimizers.SGD)
    assert issubclass(api.optimizers.SGD, api.optimizers.Optimizer)


def test_a_declaration_for_a_module_that_is_not_declarable_is_a_clear_error(package):
    with pytest.raises(ValueError, match=r"Declaring.namespace: argument `module` expected one of .*; received "
                                         r"'random'"):
        binding.bind(declared_backend({"random": {"normal": helper}}), package)
    with pytest.raises(ValueError, match=r"argument `utils` expected a dict"):
        binding.bind(declared_backend({"utils": helper}), package)

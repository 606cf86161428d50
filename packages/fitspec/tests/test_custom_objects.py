"""The registry of custom objects: names resolve from custom_objects, then the scopes (innermost first), then the
registry; serialized functions carry their registered names (docs/SPEC.md 2.9)."""

import pytest

from fitspec.saving import registry, serialization


def test_lookup_order_is_custom_objects_then_scopes_innermost_first_then_the_registry():
    @registry.register_keras_serializable(package="unit")
    def first(x):
        return x

    def outer(x):
        return x

    def inner(x):
        return x

    def given(x):
        return x

    assert registry.lookup(["unit>first"]) is first
    assert registry.get_custom_objects()["unit>first"] is first
    with registry.custom_object_scope({"unit>first": outer}):
        assert registry.lookup(["unit>first"]) is outer
        with registry.CustomObjectScope({"unit>first": inner}):
            assert registry.lookup(["unit>first"]) is inner
            assert registry.lookup(["unit>first"], {"unit>first": given}) is given
        assert registry.lookup(["unit>first"]) is outer
    assert registry.lookup(["unit>first"]) is first
    assert registry.lookup(["unit>nothing"]) is None


def test_a_registered_function_serializes_by_its_registered_name_and_comes_back():
    @registry.register_keras_serializable(package="unit", name="halve")
    def halved(x):
        return x / 2

    config = serialization.serialize_keras_object(halved)
    assert config["class_name"] == "function" and config["config"] == "unit>halve"
    assert serialization.deserialize_function(config, "test", "fn") is halved


def test_registering_something_that_cannot_be_rebuilt_is_refused():
    with pytest.raises(ValueError, match=r"register_keras_serializable: argument `package` expected a string "
                                         r"without '>'"):
        registry.register_keras_serializable(package="a>b")
    with pytest.raises(ValueError, match=r"argument `obj` expected a class with a get_config\(\) method"):
        registry.register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match=r"custom_object_scope: argument `custom_objects\[0\]` expected a dict"):
        registry.custom_object_scope(["not", "a", "dict"])

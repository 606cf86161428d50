"""Activation functions, written against the Ops protocol: `f(ops, x)`."""

from __future__ import annotations

import functools

from fitspec.errors import invalid_argument


def linear(ops, x):
    return x


def relu(ops, x):
    return ops.relu(x)


def sigmoid(ops, x):
    return ops.sigmoid(x)


def tanh(ops, x):
    return ops.tanh(x)


def softmax(ops, x, axis=-1):
    return ops.softmax(x, axis=axis)


def leaky_relu(ops, x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


ALL = {f.__name__: f for f in (linear, relu, sigmoid, tanh, softmax, leaky_relu)}


def get(identifier, ops):
    """A one-argument activation `f(x)` from None, a name, a registered name or its Keras config, or a callable."""
    if identifier is None:
        identifier = "linear"
    if isinstance(identifier, dict) or (isinstance(identifier, str) and identifier not in ALL):
        from fitspec.saving.serialization import deserialize_function

        fn = deserialize_function(identifier, "activations.get", "activation", builtins=ALL)
        identifier = next((name for name, builtin in ALL.items() if builtin is fn), fn)
    if isinstance(identifier, str):
        fn = ALL[identifier]
        bound = functools.partial(fn, ops)
        bound.__name__ = fn.__name__
        return bound
    if callable(identifier):
        return identifier
    raise invalid_argument("activations.get", "activation", "a name or a callable", identifier)


def serialize(fn):
    """A built-in's name (Keras's form in layer configs), else the function's Keras config (its registered name)."""
    name = getattr(fn, "__name__", None)
    if name in ALL and getattr(fn, "func", None) is ALL[name]:
        return name
    from fitspec.saving.serialization import serialize_keras_object

    return serialize_keras_object(fn)

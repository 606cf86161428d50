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
    """A one-argument activation `f(x)` from None, a name or a callable."""
    if identifier is None:
        identifier = "linear"
    if isinstance(identifier, str):
        fn = ALL.get(identifier)
        if fn is None:
            raise invalid_argument("activations.get", "activation", f"one of {sorted(ALL)}", identifier)
        bound = functools.partial(fn, ops)
        bound.__name__ = fn.__name__
        return bound
    if callable(identifier):
        return identifier
    raise invalid_argument("activations.get", "activation", "a name or a callable", identifier)


def serialize(fn) -> str | None:
    name = getattr(fn, "__name__", None)
    return name if name in ALL else None

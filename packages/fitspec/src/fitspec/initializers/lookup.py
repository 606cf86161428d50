"""Initializers by name and by config: `get`, `serialize`, `deserialize`, with every name Keras 3 accepts."""

from __future__ import annotations

import re

import numpy as np

from fitspec import config_lookup, foreign_arrays
from fitspec.errors import invalid_argument
from fitspec.initializers import constant_initializers, random_initializers
from fitspec.initializers.base import Initializer, check_dtype, check_shape
from fitspec.initializers.constant_initializers import STFT, Identity, Ones, Zeros
from fitspec.initializers.random_initializers import Orthogonal, RandomNormal, RandomUniform

#: the classes, by their names
ALL = {"Initializer": Initializer, **constant_initializers.CLASSES, **random_initializers.CLASSES}
#: the names Keras also exports for the same classes
CLASS_ALIASES = {"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "STFTInitializer": STFT}


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


#: the snake_case names Keras exports (`fs.initializers.glorot_uniform` is the class GlorotUniform)
SNAKE_CASE = {_snake_case(name): cls for name, cls in ALL.items() if cls is not Initializer}
#: every string `get` and `deserialize` accept: class names, snake_case names and Keras's short aliases
NAMES = {**ALL, **{"initializer": Initializer}, **SNAKE_CASE, **CLASS_ALIASES,
         "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros}


def serialize(initializer) -> dict:
    """`{"module", "class_name", "config", "registered_name"}`, the dict Keras 3 writes."""
    if isinstance(initializer, Initializer) and ALL.get(type(initializer).__name__) is type(initializer):
        return config_lookup.serialize(initializer, ALL, "initializers")
    if not callable(initializer):
        raise invalid_argument("initializers.serialize", "initializer", "an Initializer or a function", initializer)
    from fitspec.saving.serialization import serialize_keras_object  # a user's class or function, by registration

    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None) -> Initializer:
    """An initializer from `serialize`'s dict (`module` and `registered_name` optional) or from a name."""
    return config_lookup.deserialize(config, NAMES, custom_objects, "initializers.deserialize", "config",
                                     "an initializer")


def _from_array(values):
    """An initializer returning `values`, cast, for the shape of `values` only (Keras's tensor identifier)."""
    values = foreign_arrays.to_numpy(values) if foreign_arrays.framework_of(values) else np.asarray(values)

    def initialize(shape, dtype=None):
        if check_shape("initializers.get", shape) != values.shape:
            raise invalid_argument("initializers.get", "shape", f"{values.shape} (the shape of the array given as "
                                   "the initializer)", shape)
        return values.astype(check_dtype(dtype))

    return initialize


def get(identifier):
    """None, an Initializer, a class, a name, a config dict, an array or tensor (its values), or a callable
    `f(shape, dtype=None)`."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return config_lookup.deserialize(identifier, NAMES, None, "initializers.get", "identifier", "an initializer")
    if isinstance(identifier, type):
        if issubclass(identifier, Initializer):
            return identifier()
    elif isinstance(identifier, (np.ndarray, np.generic)) or foreign_arrays.framework_of(identifier):
        return _from_array(identifier)
    elif callable(identifier):
        return identifier
    raise invalid_argument("initializers.get", "identifier",
                           "an Initializer, its class, a name, a config dict, an array or a callable", identifier)


#: `fs.initializers`: Keras 3's 39 names
NAMESPACE = {**ALL, **CLASS_ALIASES, **SNAKE_CASE, "get": get, "serialize": serialize, "deserialize": deserialize}

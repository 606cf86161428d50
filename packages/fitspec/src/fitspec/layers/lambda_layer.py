"""Lambda: a layer that calls a function (docs/SPEC.md 8d.LA).

Its config names the function, never holds its code: `function`, a callable `output_shape` and a callable `mask`
must be functions registered with `@fs.saving.register_keras_serializable()`; saving one that is not raises an
error naming it, and a Keras config holding a lambda's bytecode (`__lambda__`) is refused on load, as Keras refuses
it in safe mode. No code is pickled or unpickled.
"""

from __future__ import annotations

import inspect

import numpy as np
import optree

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.saving import registry, serialization


def _takes(function, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


class Lambda(Layer):
    """y = function(inputs, **arguments) (with `mask=` and `training=` when the function takes them).

    output_shape: None (inferred by calling the function), a shape without the batch axis (or a structure of
    them), or a function of the input shape. mask: None (the layer drops a mask, with Keras's warning), a function
    (inputs, mask) -> output mask, or a fixed mask.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise invalid_argument("Lambda", "function", "a callable", function)
        if arguments is not None and not isinstance(arguments, dict):
            raise invalid_argument("Lambda", "arguments", "a dict of keyword arguments or None", arguments)
        if output_shape is not None and not callable(output_shape) and not _is_shape_structure(output_shape):
            raise invalid_argument("Lambda", "output_shape", "None, a shape (a tuple of ints or None), a structure "
                                   "of shapes or a function of the input shape", output_shape)
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) and _is_shape(
            output_shape) else output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self._passes_mask = _takes(function, "mask")
        self._passes_training = _takes(function, "training")

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._passes_mask:
            kwargs["mask"] = mask
        if self._passes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        if self._output_shape is not None:
            batch = optree.tree_leaves(input_shape, none_is_leaf=True)[0]
            return optree.tree_map(lambda shape: (batch, *shape), self._output_shape, is_leaf=_is_shape,
                                   none_is_leaf=True)
        return self._inferred_output_shape(input_shape)

    def _inferred_output_shape(self, input_shape):
        """Call the function on zeros of the input shape (an unknown dimension taken as 1) and read the shapes back,
        the batch axis as the input's."""
        def zeros(shape):
            return self.ops.zeros(tuple(1 if d is None else d for d in shape), dtype=self.input_dtype)

        batch = optree.tree_leaves(input_shape, none_is_leaf=True)[0]
        outputs = self.call(optree.tree_map(zeros, input_shape, is_leaf=_is_shape, none_is_leaf=True))
        return optree.tree_map(lambda t: (batch, *tuple(self.ops.shape(t))[1:]), outputs)

    def get_config(self):
        config = {**super().get_config(), "function": self._function_config("function", self.function)}
        if self._output_shape is not None:
            config["output_shape"] = self._function_config("output_shape", self._output_shape) if callable(
                self._output_shape) else serialization.serialize_keras_object(self._output_shape)
        if self.mask is not None:
            config["mask"] = self._function_config("mask", self.mask) if callable(self.mask) else (
                serialization.serialize_keras_object(np.asarray(self.ops.convert_to_numpy(self.mask))))
        config["arguments"] = serialization.serialize_keras_object(self.arguments)
        return config

    def _function_config(self, argument: str, function) -> dict:
        if not registry.is_registered(function):
            raise invalid_argument(
                f"{self.name}.get_config", argument, "a function registered with "
                "@fs.saving.register_keras_serializable() (a config names its functions; fitspec never saves code, "
                "docs/SPEC.md 8d.LA)", function)
        return serialization.serialize_keras_object(function)

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        where = "Lambda.from_config"
        for argument in ("function", "output_shape", "mask"):
            value = config.get(argument)
            if isinstance(value, dict) and value.get("class_name") == "__lambda__":
                raise invalid_argument(where, argument, "a registered function's config (fitspec never loads code; "
                                       "register the function with @fs.saving.register_keras_serializable() and "
                                       "save the model again)", "<a Python lambda's bytecode>")
        config["function"] = serialization.deserialize_function(config.get("function"), where, "function")
        if isinstance(config.get("output_shape"), dict) and config["output_shape"].get("class_name") == "function":
            config["output_shape"] = serialization.deserialize_function(config["output_shape"], where, "output_shape")
        elif config.get("output_shape") is not None:
            config["output_shape"] = _as_shapes(serialization.deserialize_keras_object(config["output_shape"]))
        if isinstance(config.get("mask"), dict) and config["mask"].get("class_name") == "function":
            config["mask"] = serialization.deserialize_function(config["mask"], where, "mask")
        elif config.get("mask") is not None:
            config["mask"] = serialization.deserialize_keras_object(config["mask"])
        if config.get("arguments") is not None:
            config["arguments"] = serialization.deserialize_keras_object(config["arguments"])
        return super().from_config(config)


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool)) for d in value)


def _is_shape_structure(value) -> bool:
    if _is_shape(value):
        return True
    if isinstance(value, (tuple, list)):
        return bool(value) and all(_is_shape_structure(v) for v in value)
    if isinstance(value, dict):
        return bool(value) and all(_is_shape_structure(v) for v in value.values())
    return False


def _as_shapes(value):
    """A shape read back from JSON (lists) as tuples, structures kept."""
    if _is_shape(value):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return [_as_shapes(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shapes(v) for k, v in value.items()}
    return value


CLASSES = {"Lambda": Lambda}

"""The core layers: Dense, Activation, ReLU, LeakyReLU, Flatten, Reshape."""

from __future__ import annotations

import math
import warnings

from fitspec import activations
from fitspec.conv_arithmetic import normalize_data_format
from fitspec.errors import invalid_argument
from fitspec.layers import weight_arguments
from fitspec.layers.layer import Layer
from fitspec.masking import any_along


class Dense(Layer):
    """y = activation(x @ kernel + bias); kernel GlorotUniform, bias zeros."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(
        self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
        bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise invalid_argument("Dense", "units", "a positive int", units)
        self.units = units
        self.activation = activations.get(activation, self.ops)
        self.use_bias = use_bias
        weight_arguments.take(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        weight_arguments.take(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise invalid_argument(self.name, "inputs", "a known last dimension", f"<shape {input_shape}>")
        self.kernel = weight_arguments.add(self, "kernel", (in_features, self.units))
        self.bias = weight_arguments.add(self, "bias", (self.units,)) if self.use_bias else None

    def call(self, inputs):
        ops = self.ops
        kernel = self.kernel.value
        if ops.shape(inputs)[-1] != self.kernel.shape[0]:
            raise invalid_argument(
                self.name, "inputs", f"last dimension {self.kernel.shape[0]}", f"<shape {tuple(ops.shape(inputs))}>"
            )
        outputs = ops.matmul(inputs, kernel)
        if self.use_bias:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias, **weight_arguments.config(self, "kernel", "bias"),
        }


class Activation(Layer):
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation, self.ops)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(Layer):
    """activations.relu(x, negative_slope, max_value, threshold); max_value None or >= 0, the others >= 0."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for argument, value, allow_none in (("max_value", max_value, True), ("negative_slope", negative_slope, False),
                                            ("threshold", threshold, False)):
            if (value is None and not allow_none) or (value is not None and (
                    isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0)):
                raise invalid_argument("ReLU", argument, "a float >= 0" + (" or None" if allow_none else ""), value)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(self.ops, inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """x if x >= 0 else negative_slope * x. `alpha=` (Keras 2's name) is taken with Keras 3's UserWarning."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) \
                or negative_slope < 0:
            raise invalid_argument("LeakyReLU", "negative_slope", "a float >= 0", negative_slope)
        self.negative_slope = negative_slope

    def call(self, inputs):
        return self.ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Flatten(Layer):
    """(batch, ...) -> (batch, product of the rest); channels_first moves axis 1 last first (Keras's order)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "Flatten")

    def call(self, inputs):
        shape = self.ops.shape(inputs)
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = self.ops.transpose(inputs, (0, *range(2, len(shape)), 1))
        return self.ops.reshape(inputs, (shape[0], math.prod(shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshape every sample to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(not isinstance(d, int) for d in target_shape):
            raise invalid_argument("Reshape", "target_shape", "a tuple of ints with at most one -1", target_shape)
        self.target_shape = target_shape

    def call(self, inputs):
        shape = self.ops.shape(inputs)
        size, target = math.prod(shape[1:]), self.target_shape
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            target = tuple(size // known if d == -1 else d for d in target)
        if math.prod(target) != size:
            expected = f"{math.prod(target)} values per sample"
            raise invalid_argument(self.name, "inputs", expected, f"<shape {tuple(shape)}>")
        return self.ops.reshape(inputs, (shape[0], *target))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Concatenate(Layer):
    """Join a list of tensors along `axis`; a list of one tensor is that tensor (Keras accepts it)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 1 or not isinstance(input_shape[0],
                                                                                                 (list, tuple)):
            raise invalid_argument(self.name, "inputs", "a list of at least 1 tensor", f"<shapes {input_shape}>")

    supports_masking = True

    def call(self, inputs):
        return self.ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3's: the masks concatenated along `axis` (an input without one counts as all True; a mask of one
        rank less gains the last axis first), None when no input has one."""
        if mask is None or all(m is None for m in mask):
            return None
        ops, masks = self.ops, []
        for x, m in zip(inputs, mask):
            if m is None:
                m = ops.ones_like(x, dtype="bool")
            elif len(ops.shape(m)) < len(ops.shape(x)):
                m = ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, dtype="bool"))
            masks.append(m)
        return any_along(ops, ops.concatenate(masks, axis=self.axis), axis=-1)

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            out[self.axis] = None if out[self.axis] is None or shape[self.axis] is None else (
                out[self.axis] + shape[self.axis])
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


CLASSES = {cls.__name__: cls for cls in (Dense, Activation, ReLU, LeakyReLU, Flatten, Reshape, Concatenate)}

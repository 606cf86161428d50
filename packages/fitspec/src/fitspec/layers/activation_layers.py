"""The activation layers of Keras 3 that core.py does not hold: Softmax (with a mask), ELU, PReLU."""

from __future__ import annotations

from fitspec import activations, initializers
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer

#: what a masked position of a Softmax's input becomes before the softmax (float16: -3e4)
LARGE_NEGATIVE = -1e9


class Softmax(Layer):
    """softmax(x, axis); with `mask` (1 or True keeps, 0 or False masks; a float mask keeps > 0.5, broadcast to
    the inputs): masked inputs become -1e9 (-3e4 in float16) and masked outputs 0. A list of axes normalises over
    all of them: exp(x - logsumexp(x, axes))."""
    supports_masking = True  # the input's mask passes through, and is the call's `mask` (docs/SPEC.md "Masking")

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) and not (isinstance(axis, (list, tuple)) and axis
                                              and all(isinstance(a, int) for a in axis)):
            raise invalid_argument("Softmax", "axis", "an int or a non-empty list of ints", axis)
        self.axis = axis

    def call(self, inputs, mask=None):
        ops = self.ops
        if mask is not None:
            mask_shape, input_shape = tuple(ops.shape(mask)), tuple(ops.shape(inputs))
            if len(mask_shape) > len(input_shape) or any(m not in (1, i) for m, i in zip(mask_shape[::-1],
                                                                                       input_shape[::-1])):
                raise invalid_argument(self.name, "mask", f"a mask broadcastable to the inputs' shape {input_shape}",
                                       f"<shape {mask_shape}>")
            if ops.dtype(mask) != "bool":
                mask = ops.greater(mask, 0.5)
            large_negative = -3e4 if ops.dtype(inputs) == "float16" else LARGE_NEGATIVE
            inputs = ops.where(mask, inputs, large_negative)
        if isinstance(self.axis, int) or len(self.axis) == 1:
            outputs = ops.softmax(inputs, axis=self.axis if isinstance(self.axis, int) else self.axis[0])
        else:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=tuple(self.axis), keepdims=True))
        return outputs if mask is None else ops.where(mask, outputs, 0.0)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis if isinstance(self.axis, int) else list(self.axis)}


class ELU(Layer):
    """x if x >= 0 else alpha (exp(x) - 1)"""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(self.ops, inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """relu(x) - alpha relu(-x), with a trainable `alpha` shaped like one sample (size 1 along `shared_axes`)."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        for argument, value in (("alpha_regularizer", alpha_regularizer), ("alpha_constraint", alpha_constraint)):
            if value is not None:
                raise invalid_argument("PReLU", argument, "None (fitspec has no regularizers or constraints yet)",
                                       value)
        self._alpha_initializer_name = alpha_initializer if isinstance(alpha_initializer, str) else None
        self.alpha_initializer = initializers.get(alpha_initializer)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        if shared_axes is not None and not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1
                                               for a in shared_axes):
            raise invalid_argument("PReLU", "shared_axes", "None, or axes >= 1 of the inputs (0 is the batch)",
                                   shared_axes)
        self.shared_axes = None if shared_axes is None else list(shared_axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= len(input_shape):
                raise invalid_argument(self.name, "shared_axes", f"axes of inputs of rank {len(input_shape)}",
                                       self.shared_axes)
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise invalid_argument(self.name, "inputs", "known sizes on every axis that shared_axes does not share",
                                   f"<shape {tuple(input_shape)}>")
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha")

    def call(self, inputs):
        ops = self.ops
        return ops.relu(inputs) - self.alpha.value * ops.relu(-inputs)

    def get_config(self):
        config = {**super().get_config(), "shared_axes": self.shared_axes}
        if self._alpha_initializer_name is not None:
            config["alpha_initializer"] = self._alpha_initializer_name
        return config


CLASSES = {cls.__name__: cls for cls in (Softmax, ELU, PReLU)}

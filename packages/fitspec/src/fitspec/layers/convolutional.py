"""Convolutions, channels_last: Conv1D, Conv2D and Conv2DTranspose.

Output lengths and "same" padding follow fitspec.conv_arithmetic (Keras / TF rules, docs/SPEC.md
"Layers"); the backends compute through the `conv` and `conv_transpose` ops.
"""

from __future__ import annotations

from fitspec import activations, initializers
from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer


def check_channels_last(where: str, data_format, dilation_rate, rank: int) -> None:
    """fitspec's convolutions and pooling are channels_last, without dilation."""
    if data_format not in (None, "channels_last"):
        raise invalid_argument(where, "data_format", "'channels_last' (the only layout fitspec supports)",
                               data_format)
    if arithmetic.normalize_tuple(dilation_rate, rank, where, "dilation_rate") != (1,) * rank:
        raise invalid_argument(where, "dilation_rate", "1 (dilated convolutions are not supported)", dilation_rate)


def check_input_rank(layer, shape, rank: int) -> None:
    if len(shape) != rank + 2:
        spatial = ", ".join(["batch", *(f"d{i + 1}" for i in range(rank)), "channels"])
        raise invalid_argument(layer.name, "inputs", f"a tensor of rank {rank + 2} ({spatial})",
                               f"<shape {tuple(shape)}>")


class BaseConv(Layer):
    """y = activation(conv(x, kernel) + bias); kernel GlorotUniform, bias zeros."""

    rank: int = 2
    transpose: bool = False

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, activation=None,
        use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
        bias_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(**kwargs)
        where = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise invalid_argument(where, "filters", "a positive int", filters)
        self.filters = filters
        self.kernel_size = arithmetic.normalize_tuple(kernel_size, self.rank, where, "kernel_size")
        self.strides = arithmetic.normalize_tuple(strides, self.rank, where, "strides")
        self.padding = arithmetic.normalize_padding(padding, where)
        check_channels_last(where, data_format, dilation_rate, self.rank)
        self.activation = activations.get(activation, self.ops)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = self._regularizer(kernel_regularizer)
        self.bias_regularizer = self._regularizer(bias_regularizer)
        self.kernel_constraint = self._constraint(kernel_constraint)
        self.bias_constraint = self._constraint(bias_constraint)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank)
        channels = input_shape[-1]
        if channels is None:
            raise invalid_argument(self.name, "inputs", "a known channel dimension", f"<shape {input_shape}>")
        # Keras' kernel layouts: (*window, in, out) for a convolution, (*window, out, in) for its transpose.
        shape = (*self.kernel_size, self.filters, channels) if self.transpose else (
            *self.kernel_size, channels, self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint
                                    ) if self.use_bias else None

    def call(self, inputs):
        ops = self.ops
        shape = ops.shape(inputs)
        check_input_rank(self, shape, self.rank)
        channels = self.kernel.shape[-1 if self.transpose else -2]
        if shape[-1] != channels:
            raise invalid_argument(self.name, "inputs", f"{channels} channels (last dimension)",
                                   f"<shape {tuple(shape)}>")
        op = ops.conv_transpose if self.transpose else ops.conv
        outputs = op(inputs, self.kernel.value, strides=self.strides, padding=self.padding)
        if self.use_bias:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        length = arithmetic.transpose_output_length if self.transpose else arithmetic.output_length
        spatial = [None if n is None else length(n, k, s, self.padding)
                   for n, k, s in zip(input_shape[1:-1], self.kernel_size, self.strides)]
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
            "strides": list(self.strides), "padding": self.padding,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self._regularizer_configs("kernel_regularizer", "bias_regularizer", "kernel_constraint",
                                        "bias_constraint"),
        }


class Conv1D(BaseConv):
    """inputs (batch, steps, channels) -> (batch, new_steps, filters)."""

    rank = 1


class Conv2D(BaseConv):
    """inputs (batch, height, width, channels) -> (batch, new_height, new_width, filters)."""

    rank = 2


class Conv2DTranspose(BaseConv):
    """The transpose of Conv2D: new length n*s ('same') or (n - 1)*s + max(k, s) ('valid')."""

    rank = 2
    transpose = True


CLASSES = {cls.__name__: cls for cls in (Conv1D, Conv2D, Conv2DTranspose)}

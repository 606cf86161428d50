"""Convolutions: Conv1D/2D/3D, their transposes, DepthwiseConv1D/2D and SeparableConv1D/2D, with Keras's aliases.

Output lengths and paddings follow fitspec.conv_arithmetic (Keras / TF rules, docs/SPEC.md "Layers"); the backends
compute channels_last through the `conv` and `conv_transpose` ops (a depthwise convolution is a grouped one), and a
channels_first layer moves the channel axis last and back around them.
"""

from __future__ import annotations

from fitspec import activations
from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument
from fitspec.layers import weight_arguments
from fitspec.layers.layer import Layer


def check_input_rank(layer, shape, rank: int, data_format: str = "channels_last") -> None:
    if len(shape) != rank + 2:
        axes = [*(f"d{i + 1}" for i in range(rank))]
        axes = ["batch", *axes, "channels"] if data_format == "channels_last" else ["batch", "channels", *axes]
        raise invalid_argument(layer.name, "inputs", f"a tensor of rank {rank + 2} ({', '.join(axes)})",
                               f"<shape {tuple(shape)}>")


def positive_int(where: str, argument: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid_argument(where, argument, "a positive int", value)
    return value


class ChannelsLayout:
    """The data_format of a convolution or pooling layer: channels_last as the ops compute, or channels_first."""

    rank: int = 2

    def _channels_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape) -> tuple:
        return tuple(shape[1:-1] if self.data_format == "channels_last" else shape[2:])

    def _with_channels(self, batch, spatial, channels) -> tuple:
        return (batch, *spatial, channels) if self.data_format == "channels_last" else (batch, channels, *spatial)

    def _to_channels_last(self, x):
        if self.data_format == "channels_last":
            return x
        return self.ops.transpose(x, (0, *range(2, self.rank + 2), 1))

    def _from_channels_last(self, x):
        if self.data_format == "channels_last":
            return x
        return self.ops.transpose(x, (0, self.rank + 1, *range(1, self.rank + 1)))


class BaseConv(ChannelsLayout, Layer):
    """y = activation(conv(x, kernel) + bias); kernel (*kernel_size, channels // groups, filters) GlorotUniform, bias
    zeros."""

    transpose: bool = False

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
        activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
        kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = type(self).__name__
        self.filters = positive_int(where, "filters", filters)
        self.groups = positive_int(where, "groups", groups)
        if filters % groups:
            raise invalid_argument(where, "groups", f"a divisor of filters={filters}", groups)
        self._window_arguments(where, kernel_size, strides, padding, data_format, dilation_rate,
                               allow_causal=self.rank == 1 and not self.transpose)
        self.activation = activations.get(activation, self.ops)
        self.use_bias = use_bias
        weight_arguments.take(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        weight_arguments.take(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def _window_arguments(self, where, kernel_size, strides, padding, data_format, dilation_rate,
                          allow_causal=False) -> None:
        self.kernel_size = arithmetic.normalize_tuple(kernel_size, self.rank, where, "kernel_size")
        self.strides = arithmetic.normalize_tuple(strides, self.rank, where, "strides")
        self.dilation_rate = arithmetic.normalize_tuple(dilation_rate, self.rank, where, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise invalid_argument(where, "dilation_rate", "1 when strides > 1 (Keras's rule)",
                                   f"dilation_rate={dilation_rate} with strides={strides}")
        self.padding = arithmetic.normalize_padding(padding, where, allow_causal=allow_causal)
        self.data_format = arithmetic.normalize_data_format(data_format, where)

    def _input_channels(self, shape) -> int:
        check_input_rank(self, shape, self.rank, self.data_format)
        channels = shape[self._channels_axis()]
        if channels is None:
            raise invalid_argument(self.name, "inputs", "a known channel dimension", f"<shape {tuple(shape)}>")
        return channels

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise invalid_argument(self.name, "inputs", f"a number of channels divisible by groups={self.groups}",
                                   f"<shape {tuple(input_shape)}>")
        # Keras' kernel layouts: (*window, in // groups, out) for a convolution, (*window, out, in) for its transpose.
        shape = (*self.kernel_size, self.filters, channels) if self.transpose else (
            *self.kernel_size, channels // self.groups, self.filters)
        self.kernel = weight_arguments.add(self, "kernel", shape)
        self.bias = weight_arguments.add(self, "bias", (self.filters,)) if self.use_bias else None

    def _check_channels(self, shape, channels: int) -> None:
        if self._input_channels(shape) != channels:
            axis = "last" if self.data_format == "channels_last" else "second"
            raise invalid_argument(self.name, "inputs", f"{channels} channels ({axis} dimension)",
                                   f"<shape {tuple(shape)}>")

    def convolve(self, x):
        """The convolution of channels_last x, without bias or activation."""
        return self.ops.conv(x, self.kernel.value, strides=self.strides, padding=self.padding,
                             dilation_rate=self.dilation_rate)

    def call(self, inputs):
        in_channels = self.kernel.shape[-1] if self.transpose else self.kernel.shape[-2] * self.groups
        self._check_channels(self.ops.shape(inputs), in_channels)
        outputs = self.convolve(self._to_channels_last(inputs))
        if self.use_bias:
            outputs = outputs + self.bias.value
        return self.activation(self._from_channels_last(outputs))

    def _output_length(self, n, k, s, d, axis):
        return arithmetic.output_length(n, k, s, self.padding, d)

    def _output_channels(self, channels):
        return self.filters

    def compute_output_shape(self, input_shape):
        spatial = [None if n is None else self._output_length(n, k, s, d, axis) for axis, (n, k, s, d) in enumerate(
            zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate))]
        channels = input_shape[self._channels_axis()]
        return self._with_channels(input_shape[0], spatial, self._output_channels(channels))

    def _window_config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides), "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias}

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._window_config(), "groups": self.groups,
                **weight_arguments.config(self, "kernel", "bias")}


class BaseConvTranspose(BaseConv):
    """The transpose of the convolution with the same kernel (*kernel_size, filters, channels): full length
    (n - 1)*s + k_eff, cropped or extended to n*s ('same') or (n - 1)*s + max(k_eff, s) ('valid'), or to the length
    output_padding asks (conv_arithmetic.transpose_padding)."""

    transpose = True

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
        dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
        bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
        kernel_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(
            filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
            kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, bias_constraint, **kwargs)
        where = type(self).__name__
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = arithmetic.normalize_tuple(output_padding, self.rank, where, "output_padding",
                                                             minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise invalid_argument(where, "output_padding", f"values less than the strides {self.strides}",
                                       output_padding)

    def convolve(self, x):
        return self.ops.conv_transpose(x, self.kernel.value, strides=self.strides, padding=self.padding,
                                       output_padding=self.output_padding, dilation_rate=self.dilation_rate)

    def _output_length(self, n, k, s, d, axis):
        extra = None if self.output_padding is None else self.output_padding[axis]
        return arithmetic.transpose_output_length(n, k, s, self.padding, extra, d)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return config


class BaseDepthwiseConv(BaseConv):
    """Each input channel c convolved with its own depth_multiplier filters: output channel c*depth_multiplier + m
    (a convolution in `channels` groups); kernel (*kernel_size, channels, depth_multiplier), bias
    (channels*depth_multiplier,)."""

    def __init__(
        self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None, dilation_rate=1,
        activation=None, use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
        depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
        bias_constraint=None, **kwargs,
    ):
        super(BaseConv, self).__init__(activity_regularizer=activity_regularizer, **kwargs)  # not BaseConv's
        where = type(self).__name__
        self.depth_multiplier = positive_int(where, "depth_multiplier", depth_multiplier)
        self._window_arguments(where, kernel_size, strides, padding, data_format, dilation_rate)
        self.activation = activations.get(activation, self.ops)
        self.use_bias = use_bias
        weight_arguments.take(self, "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        weight_arguments.take(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = weight_arguments.add(self, "depthwise", (*self.kernel_size, channels, self.depth_multiplier),
                                           name="kernel")
        self.bias = weight_arguments.add(self, "bias", (channels * self.depth_multiplier,)) if self.use_bias else None

    def depthwise(self, x, kernel):
        """The depthwise convolution of channels_last x with kernel (*window, channels, multiplier)."""
        *window, channels, multiplier = kernel.shape
        grouped = self.ops.reshape(kernel, (*window, 1, channels * multiplier))
        return self.ops.conv(x, grouped, strides=self.strides, padding=self.padding, dilation_rate=self.dilation_rate)

    def call(self, inputs):
        self._check_channels(self.ops.shape(inputs), self.kernel.shape[-2])
        outputs = self.depthwise(self._to_channels_last(inputs), self.kernel.value)
        if self.use_bias:
            outputs = outputs + self.bias.value
        return self.activation(self._from_channels_last(outputs))

    def _output_channels(self, channels):
        return None if channels is None else channels * self.depth_multiplier

    def get_config(self):
        return {**super(BaseConv, self).get_config(), "depth_multiplier": self.depth_multiplier,
                **self._window_config(), **weight_arguments.config(self, "depthwise", "bias")}


class BaseSeparableConv(BaseDepthwiseConv):
    """The depthwise convolution (depthwise_kernel (*kernel_size, channels, depth_multiplier)), then the 1x1
    convolution pointwise_kernel (1, ..., channels*depth_multiplier, filters), then bias (filters,)."""

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, depth_multiplier=1,
        activation=None, use_bias=True, depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
        bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
        activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation, use_bias,
            depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs)
        self.filters = positive_int(type(self).__name__, "filters", filters)
        weight_arguments.take(self, "pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = weight_arguments.add(self, "depthwise",
                                                     (*self.kernel_size, channels, self.depth_multiplier),
                                                     name="depthwise_kernel")
        self.pointwise_kernel = weight_arguments.add(self, "pointwise", (
            *(1,) * self.rank, channels * self.depth_multiplier, self.filters), name="pointwise_kernel")
        self.bias = weight_arguments.add(self, "bias", (self.filters,)) if self.use_bias else None

    def call(self, inputs):
        self._check_channels(self.ops.shape(inputs), self.depthwise_kernel.shape[-2])
        outputs = self.depthwise(self._to_channels_last(inputs), self.depthwise_kernel.value)
        outputs = self.ops.conv(outputs, self.pointwise_kernel.value, strides=1, padding="valid")
        if self.use_bias:
            outputs = outputs + self.bias.value
        return self.activation(self._from_channels_last(outputs))

    def _output_channels(self, channels):
        return self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                **weight_arguments.config(self, "depthwise", "pointwise", "bias")}


class Conv1D(BaseConv):
    """inputs (batch, steps, channels) -> (batch, new_steps, filters); padding also "causal" (k_eff - 1 zeros
    before)."""

    rank = 1


class Conv2D(BaseConv):
    """inputs (batch, height, width, channels) -> (batch, new_height, new_width, filters)."""

    rank = 2


class Conv3D(BaseConv):
    """inputs (batch, d1, d2, d3, channels) -> (batch, new_d1, new_d2, new_d3, filters)."""

    rank = 3


class Conv1DTranspose(BaseConvTranspose):
    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """The transpose of Conv2D: new length n*s ('same') or (n - 1)*s + max(k, s) ('valid')."""

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """Keras's order of arguments: data_format before output_padding."""

    rank = 3

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format=None, output_padding=None,
        dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
        bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
        kernel_constraint=None, bias_constraint=None, **kwargs,
    ):
        super().__init__(
            filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate, activation, use_bias,
            kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, bias_constraint, **kwargs)


class DepthwiseConv1D(BaseDepthwiseConv):
    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    rank = 2


class SeparableConv1D(BaseSeparableConv):
    rank = 1


class SeparableConv2D(BaseSeparableConv):
    rank = 2


CLASSES = {cls.__name__: cls for cls in (Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
                                         DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D)}
#: Keras's other names of the same classes
ALIASES = {"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
           "Convolution1DTranspose": "Conv1DTranspose", "Convolution2DTranspose": "Conv2DTranspose",
           "Convolution3DTranspose": "Conv3DTranspose", "SeparableConvolution1D": "SeparableConv1D",
           "SeparableConvolution2D": "SeparableConv2D"}

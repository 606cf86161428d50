"""ConvLSTM1D, ConvLSTM2D, ConvLSTM3D (docs/SPEC.md RNN.8): an LSTM whose input and recurrent products are
convolutions, run over the time axis of (batch, time, *spatial, channels) inputs by the RNN of
fitspec.layers.recurrent, its cell the LSTMCell's step with the `conv` op in place of the matmul.

The input convolution takes the layer's strides, padding and dilation; the recurrent one runs on the states,
stride 1, padding "same", no dilation, so the states keep the input convolution's output shape. Keras does not
export the cell: ConvLSTMCell is bound to a backend where a layer makes it (recurrent.bound_to).
"""

from __future__ import annotations

from fitspec import conv_arithmetic as arithmetic
from fitspec.errors import invalid_argument
from fitspec.layers import weight_arguments
from fitspec.layers.convolutional import BaseConv, ChannelsLayout, check_input_rank, positive_int
from fitspec.layers.recurrent import LSTMCell, _CellRNN, signature_of_both


class ConvLSTMCell(ChannelsLayout, LSTMCell):
    """LSTMCell's gates (i, f, c, o) over convolutions: z = conv(x·m, kernel) + conv(h·m_r, recurrent_kernel) + bias,
    kernel (*kernel_size, channels, 4·filters), recurrent_kernel (*kernel_size, filters, 4·filters), bias
    (4·filters,); states [h, c] of the input convolution's output shape; one dropout mask per gate (Keras's)."""

    rank = 2
    #: arguments of LSTMCell this cell does not take (its `units` are the filters)
    not_taken = ("units", "implementation")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 **kwargs):
        where = type(self).__name__
        filters = positive_int(where, "filters", filters)
        super().__init__(filters, implementation=1, **kwargs)
        BaseConv._window_arguments(self, where, kernel_size, strides, padding, data_format, dilation_rate)
        self.filters = filters
        self.state_size = [-1, -1]  # as Keras: shaped by the inputs (get_initial_state)

    def _add_kernels(self, input_shape):
        check_input_rank(self, input_shape, self.rank, self.data_format)
        channels, spatial = input_shape[self._channels_axis()], self._spatial(input_shape)
        if channels is None or None in spatial:
            raise invalid_argument(self.name, "inputs", "known spatial and channel dimensions",
                                   f"<shape {tuple(input_shape)}>")
        self.input_spatial = tuple(spatial)
        width = 4 * self.filters
        self.kernel = weight_arguments.add(self, "kernel", (*self.kernel_size, channels, width))
        self.recurrent_kernel = weight_arguments.add(self, "recurrent", (*self.kernel_size, self.filters, width),
                                                     name="recurrent_kernel")

    def get_initial_state(self, batch_size=None):
        spatial = [arithmetic.output_length(n, k, s, self.padding, d) for n, k, s, d in zip(
            self.input_spatial, self.kernel_size, self.strides, self.dilation_rate)]
        shape = self._with_channels(batch_size, spatial, self.filters)
        return [self.ops.zeros(shape, dtype=self.dtype), self.ops.zeros(shape, dtype=self.dtype)]

    def call(self, inputs, states, training=False):
        ops = self.ops
        h_tm1, c_tm1 = states[0], states[1]
        input_masks, recurrent_masks = self.dropout_masks(inputs, h_tm1, training)

        def input_conv(x, kernel):
            return ops.conv(self._to_channels_last(x), kernel, strides=self.strides, padding=self.padding,
                            dilation_rate=self.dilation_rate)

        def recurrent_conv(h, kernel):
            return ops.conv(self._to_channels_last(h), kernel, strides=1, padding="same")

        h, c = self.lstm_step(inputs, h_tm1, self._to_channels_last(c_tm1), input_masks, recurrent_masks,
                              input_conv, recurrent_conv)
        h, c = self._from_channels_last(h), self._from_channels_last(c)
        return h, [h, c]

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k not in ("units", "implementation")}
        return {**config, "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate)}


class ConvLSTM1DCell(ConvLSTMCell):
    rank = 1


class ConvLSTM3DCell(ConvLSTMCell):
    rank = 3


class ConvLSTM(_CellRNN):
    """RNN(ConvLSTMCell(filters, kernel_size, ...)) over (batch, time, *spatial, channels) (channels_last) or
    (batch, time, channels, *spatial) (channels_first); Keras's arguments of both."""

    cell_class = ConvLSTMCell

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size=kernel_size, **kwargs)

    @property
    def input_rank(self):
        return self.cell.rank + 3

    @property
    def input_axes(self):
        axes = [f"d{i + 1}" for i in range(self.cell.rank)]
        axes = [*axes, "channels"] if self.cell.data_format == "channels_last" else ["channels", *axes]
        return f"(batch, time, {', '.join(axes)})"

    def get_config(self):
        return {**super().get_config(), **self._regularizer_configs("activity_regularizer")}


#: the cell's attributes a ConvLSTM reads through, as Keras's do
for _name in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"):
    setattr(ConvLSTM, _name, property(lambda self, name=_name: getattr(self.cell, name)))


class ConvLSTM1D(ConvLSTM):
    """inputs (batch, time, steps, channels) -> (batch, [time,] new_steps, filters)."""

    cell_class = ConvLSTM1DCell

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)


class ConvLSTM2D(ConvLSTM):
    """inputs (batch, time, rows, cols, channels) -> (batch, [time,] new_rows, new_cols, filters)."""

    cell_class = ConvLSTMCell

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)


class ConvLSTM3D(ConvLSTM):
    """inputs (batch, time, d1, d2, d3, channels) -> (batch, [time,] new_d1, new_d2, new_d3, filters)."""

    cell_class = ConvLSTM3DCell

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)


for _cls in (ConvLSTM1D, ConvLSTM2D, ConvLSTM3D):
    _cls.__init__.__signature__ = signature_of_both(_cls.cell_class, leading=("filters", "kernel_size"))


CLASSES = {cls.__name__: cls for cls in (ConvLSTM1D, ConvLSTM2D, ConvLSTM3D)}

"""Pooling: max and average over windows (1 to 3 spatial axes), and global max / average over every position, with
Keras's aliases (MaxPool2D, AvgPool2D, GlobalMaxPool2D, ...); channels_last or channels_first."""

from __future__ import annotations

from fitspec import conv_arithmetic as arithmetic
from fitspec.layers.convolutional import ChannelsLayout, check_input_rank
from fitspec.layers.layer import Layer


class BasePooling(ChannelsLayout, Layer):
    """y[b, o, c] = max (or mean) over the window at o*strides; strides default to pool_size. The mean counts only
    the window's positions inside the input ('same' padding is not counted)."""

    reduction: str = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.pool_size = arithmetic.normalize_tuple(pool_size, self.rank, where, "pool_size")
        self.strides = self.pool_size if strides is None else arithmetic.normalize_tuple(
            strides, self.rank, where, "strides")
        self.padding = arithmetic.normalize_padding(padding, where)
        self.data_format = arithmetic.normalize_data_format(data_format, where)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank, self.data_format)

    def call(self, inputs):
        check_input_rank(self, self.ops.shape(inputs), self.rank, self.data_format)
        pool = self.ops.max_pool if self.reduction == "max" else self.ops.average_pool
        pooled = pool(self._to_channels_last(inputs), self.pool_size, strides=self.strides, padding=self.padding)
        return self._from_channels_last(pooled)

    def compute_output_shape(self, input_shape):
        spatial = [None if n is None else arithmetic.output_length(n, k, s, self.padding)
                   for n, k, s in zip(self._spatial(input_shape), self.pool_size, self.strides)]
        return self._with_channels(input_shape[0], spatial, input_shape[self._channels_axis()])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class BaseMaxPooling(BasePooling):
    """Keras's default pool_size of max pooling: 2 per axis."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(BaseMaxPooling):
    rank = 1


class MaxPooling2D(BaseMaxPooling):
    rank = 2


class MaxPooling3D(BaseMaxPooling):
    rank = 3


class AveragePooling1D(BasePooling):
    rank, reduction = 1, "mean"


class AveragePooling2D(BasePooling):
    rank, reduction = 2, "mean"


class AveragePooling3D(BasePooling):
    rank, reduction = 3, "mean"


class BaseGlobalPooling(ChannelsLayout, Layer):
    """(batch, *spatial, channels) -> (batch, channels), or with keepdims (batch, 1, ..., channels)
    (channels_first: (batch, channels, 1, ...))."""

    reduction: str = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = arithmetic.normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank, self.data_format)

    def call(self, inputs):
        check_input_rank(self, self.ops.shape(inputs), self.rank, self.data_format)
        reduce = self.ops.max if self.reduction == "max" else self.ops.mean
        first = 1 if self.data_format == "channels_last" else 2
        return reduce(inputs, axis=tuple(range(first, first + self.rank)), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channels_axis()]
        if self.keepdims:
            return self._with_channels(input_shape[0], [1] * self.rank, channels)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(BaseGlobalPooling):
    rank, reduction = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    rank, reduction = 2, "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    rank, reduction = 3, "max"


class GlobalAveragePooling1D(BaseGlobalPooling):
    """The mean over the steps; with a mask (batch, steps), over the unmasked steps: sum(x * m) / sum(m)."""

    rank, reduction = 1, "mean"
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        ops = self.ops
        check_input_rank(self, ops.shape(inputs), self.rank)
        kept = ops.expand_dims(ops.cast(mask, "bool"), 2)
        inputs = ops.where(kept, inputs, 0.0)
        return ops.divide(ops.sum(inputs, axis=1, keepdims=self.keepdims),
                          ops.sum(ops.cast(kept, ops.dtype(inputs)), axis=1, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    rank, reduction = 2, "mean"


class GlobalAveragePooling3D(BaseGlobalPooling):
    rank, reduction = 3, "mean"


CLASSES = {cls.__name__: cls for cls in (
    MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalAveragePooling3D)}
#: Keras's other names of the same classes
ALIASES = {**{f"MaxPool{r}D": f"MaxPooling{r}D" for r in (1, 2, 3)},
           **{f"AvgPool{r}D": f"AveragePooling{r}D" for r in (1, 2, 3)},
           **{f"GlobalMaxPool{r}D": f"GlobalMaxPooling{r}D" for r in (1, 2, 3)},
           **{f"GlobalAvgPool{r}D": f"GlobalAveragePooling{r}D" for r in (1, 2, 3)}}

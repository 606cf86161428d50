"""Pooling, channels_last: MaxPooling1D/2D over windows, and global max / average over every position."""

from __future__ import annotations

from fitspec import conv_arithmetic as arithmetic
from fitspec.layers.convolutional import check_channels_last, check_input_rank
from fitspec.layers.layer import Layer


class BaseMaxPooling(Layer):
    """y[b, o, c] = max over the window at o*strides; strides default to pool_size."""

    rank: int = 2

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.pool_size = arithmetic.normalize_tuple(pool_size, self.rank, where, "pool_size")
        self.strides = self.pool_size if strides is None else arithmetic.normalize_tuple(
            strides, self.rank, where, "strides")
        self.padding = arithmetic.normalize_padding(padding, where)
        check_channels_last(where, data_format, 1, self.rank)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank)

    def call(self, inputs):
        check_input_rank(self, self.ops.shape(inputs), self.rank)
        return self.ops.max_pool(inputs, self.pool_size, strides=self.strides, padding=self.padding)

    def compute_output_shape(self, input_shape):
        spatial = [None if n is None else arithmetic.output_length(n, k, s, self.padding)
                   for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides)]
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling1D(BaseMaxPooling):
    rank = 1


class MaxPooling2D(BaseMaxPooling):
    rank = 2


class BaseGlobalPooling(Layer):
    """(batch, *spatial, channels) -> (batch, channels), or (batch, 1, ..., channels) with keepdims."""

    rank: int = 2
    reduction: str = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(type(self).__name__, data_format, 1, self.rank)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_input_rank(self, input_shape, self.rank)

    def call(self, inputs):
        check_input_rank(self, self.ops.shape(inputs), self.rank)
        reduce = self.ops.max if self.reduction == "max" else self.ops.mean
        return reduce(inputs, axis=tuple(range(1, self.rank + 1)), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *([1] * self.rank), input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalMaxPooling1D(BaseGlobalPooling):
    rank, reduction = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    rank, reduction = 2, "max"


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


CLASSES = {cls.__name__: cls for cls in (MaxPooling1D, MaxPooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                         GlobalAveragePooling1D, GlobalAveragePooling2D)}

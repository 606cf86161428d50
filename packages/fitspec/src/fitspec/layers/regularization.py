"""Regularization layers: Dropout and the noise layers (GaussianNoise, GaussianDropout, AlphaDropout,
SpatialDropout1D/2D/3D), all drawing from `fs.random` (the portable generator) and active only in
training; ActivityRegularization (docs/SPEC.md R.4, 8d.10).
"""

from __future__ import annotations

import math

import numpy as np

from fitspec.conv_arithmetic import normalize_data_format
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.random import check_noise_shape, check_number, check_rate, check_seed


def seed_generator(layer, where: str):
    """The layer's fs.random.SeedGenerator of its `seed` (its state is a seed state, not a weight)."""
    random = getattr(layer.backend.api, "random", None)
    if random is None:
        raise invalid_argument(where, "backend", "a backend with fs.random", layer.backend.name)
    return random.SeedGenerator(layer.seed)


class Dropout(Layer):
    """Training: inputs / (1 - rate) where a Bernoulli(1 - rate) draw keeps the entry, 0 elsewhere.
    Inference: the inputs unchanged.

    `noise_shape` shapes the draw, broadcast against the inputs (None entries take the inputs'
    dimension); `seed` seeds the layer's `fs.random.SeedGenerator`, whose state is the layer's one
    variable (none when rate is 0): a seed state, not a weight. The masks are `fs.random.dropout`'s,
    the same on every backend and in every float dtype.
    """
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("Dropout", rate)
        self.noise_shape = check_noise_shape("Dropout", noise_shape)
        self.seed = None if seed is None else check_seed("Dropout", seed)
        if self.rate > 0:
            self.seed_generator = seed_generator(self, "Dropout")
        self.built = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return self.backend.api.random.dropout(inputs, self.rate, noise_shape=self.noise_shape,
                                                   seed=self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}


class _Noise(Layer):
    """A layer that adds noise in training only, drawn by fs.random from the layer's SeedGenerator, in float32
    whatever the layer's dtype (then cast), so that float32 and float64 models draw the same noise."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = None if seed is None else check_seed(type(self).__name__, seed)

    def _make_generator(self, active: bool):
        if active:
            self.seed_generator = seed_generator(self, type(self).__name__)
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def _normal(self, inputs, mean, stddev):
        ops = self.ops
        noise = self.backend.api.random.normal(ops.shape(inputs), mean=mean, stddev=stddev, dtype="float32",
                                               seed=self.seed_generator)
        return ops.cast(noise, ops.dtype(inputs))


class GaussianNoise(_Noise):
    """Training: inputs + stddev * N(0, 1) (float32 draws); inference: the inputs."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, (int, float, np.integer, np.floating)) or isinstance(stddev, bool) or not (
                0 <= stddev <= 1):
            raise invalid_argument("GaussianNoise", "stddev", "a float in [0, 1]", stddev)
        self.stddev = float(stddev)
        self._make_generator(self.stddev > 0)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return inputs + self._normal(inputs, 0.0, self.stddev)
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Training: inputs * N(1, rate / (1 - rate)) (stddev sqrt(rate / (1 - rate)), float32 draws); inference: the
    inputs."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("GaussianDropout", rate)
        self._make_generator(self.rate > 0)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return inputs * self._normal(inputs, 1.0, math.sqrt(self.rate / (1.0 - self.rate)))
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Training: keep = float32 uniform >= float32(rate) (of `noise_shape`, broadcast), then
    a * (x * keep + alpha_p * (1 - keep)) + b, alpha_p = -1.6732632423543772 * 1.0507009873554805 (SELU's
    saturation), a = ((1 - rate) * (1 + rate * alpha_p^2))^-1/2, b = -a * alpha_p * rate: the inputs keep their
    mean and variance; inference: the inputs."""

    ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("AlphaDropout", rate)
        self.noise_shape = check_noise_shape("AlphaDropout", noise_shape)
        self._make_generator(self.rate > 0)

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        ops = self.ops
        shape = tuple(ops.shape(inputs))
        noise_shape = shape if self.noise_shape is None else self.noise_shape
        if len(noise_shape) != len(shape):
            raise invalid_argument(self.name, "noise_shape", f"a tuple of {len(shape)} entries (the inputs' rank)",
                                   self.noise_shape)
        noise_shape = tuple(d if n is None else n for n, d in zip(noise_shape, shape))
        uniform = self.backend.api.random.uniform(noise_shape, dtype="float32", seed=self.seed_generator)
        keep = ops.cast(ops.greater_equal(uniform, ops.convert_to_tensor(np.float32(self.rate))), ops.dtype(inputs))
        alpha_p = -self.ALPHA * self.SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = inputs * keep + alpha_p * (1 - keep)
        return a * x + b

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": noise_shape}


class _SpatialDropout(_Noise):
    """Dropout of whole feature maps: fs.random.dropout with noise_shape (batch, 1, ..., 1, channels)
    (channels_first: (batch, channels, 1, ..., 1)), so every spatial position of a channel is kept or dropped
    together."""

    rank = 1

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate(type(self).__name__, rate)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self._make_generator(self.rate > 0)

    def call(self, inputs, training=False):
        shape = tuple(self.ops.shape(inputs))
        if len(shape) != self.rank + 2:
            raise invalid_argument(self.name, "inputs", f"a tensor of rank {self.rank + 2}", f"<shape {shape}>")
        if not (training and self.rate > 0):
            return inputs
        ones = (1,) * self.rank
        noise_shape = ((shape[0], shape[1], *ones) if self.data_format == "channels_first" else
                       (shape[0], *ones, shape[-1]))
        return self.backend.api.random.dropout(inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator)

    def get_config(self):
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed, "data_format": self.data_format}
        del config["trainable"]  # Keras's SpatialDropout configs have no `trainable`
        return config


class SpatialDropout1D(_SpatialDropout):
    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(_SpatialDropout):
    rank = 2


class SpatialDropout3D(_SpatialDropout):
    rank = 3


class ActivityRegularization(Layer):
    """y = x, and the loss (l1 * sum(|x|) + l2 * sum(x^2)) / batch size added to the model's losses (Keras 3's
    activity regularizer, normalised by the batch size), in training and inference alike."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1 = check_number("ActivityRegularization", "l1", l1)
        self.l2 = check_number("ActivityRegularization", "l2", l2)

    def call(self, inputs):
        ops = self.ops
        loss = ops.zeros((), dtype=ops.dtype(inputs))
        if self.l1 != 0.0:
            loss = loss + self.l1 * ops.sum(ops.abs(inputs))
        if self.l2 != 0.0:
            loss = loss + self.l2 * ops.sum(ops.square(inputs))
        if len(ops.shape(inputs)) > 0:
            batch = ops.shape(inputs)[0]
            loss = loss / batch if batch else loss * 0.0  # Keras's divide_no_nan: an empty batch adds 0
        self.add_loss(loss)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


CLASSES = {cls.__name__: cls for cls in (
    Dropout, GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
    ActivityRegularization)}

"""Regularization layers: Dropout."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.random import check_noise_shape, check_rate, check_seed


class Dropout(Layer):
    """Training: inputs / (1 - rate) where a Bernoulli(1 - rate) draw keeps the entry, 0 elsewhere.
    Inference: the inputs unchanged.

    `noise_shape` shapes the draw, broadcast against the inputs (None entries take the inputs'
    dimension); `seed` seeds the layer's `fs.random.SeedGenerator`, whose state is the layer's one
    variable (none when rate is 0): a seed state, not a weight. The masks are `fs.random.dropout`'s,
    the same on every backend and in every float dtype.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("Dropout", rate)
        self.noise_shape = check_noise_shape("Dropout", noise_shape)
        self.seed = None if seed is None else check_seed("Dropout", seed)
        if self.rate > 0:
            random = getattr(self.backend.api, "random", None)
            if random is None:
                raise invalid_argument("Dropout", "backend", "a backend with fs.random", self.backend.name)
            self.seed_generator = random.SeedGenerator(self.seed)
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


CLASSES = {"Dropout": Dropout}

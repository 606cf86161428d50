"""RandomRotation, RandomTranslation and RandomZoom: Keras 3's random affine image layers (docs/SPEC.md 8d.P2).

Training draws float32 uniforms per image from the layer's SeedGenerator, in Keras's order and ranges (the portable
generator: the same transforms on every backend and in both precisions), builds Keras's (batch, 8) transform in the
layer's dtype and resamples with `affine_transform`. Inference returns the images cast to the layer's dtype.
"""

from __future__ import annotations

import numpy as np

from fitspec.layers.affine_transform import (
    affine_transform,
    check_options,
    rotation_matrix,
    translation_matrix,
    zoom_matrix,
)
from fitspec.layers.image_preprocessing import check_factor, draw_per_image, image_axes, setup_random_image_layer
from fitspec.layers.layer import Layer


def signed_range(where: str, argument: str, factor, open_lower: bool = False) -> tuple[float, float]:
    """(lower, upper) of a factor in [-1, 1] (or (-1, 1]): a number f gives (-|f|, |f|), a pair its sorted values."""
    lower, upper = check_factor(where, factor, (-1.0, 1.0), argument, open_lower)
    return (lower, upper) if isinstance(factor, (list, tuple)) else (-lower, upper)


def _plain_factor(factor):
    return list(factor) if isinstance(factor, (list, tuple)) else factor


class _RandomAffine(Layer):
    """The options, checks, call and config the three layers share; each gives `transform(inputs, height, width)`."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        check_options(type(self).__name__, interpolation, fill_mode, fill_value)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value
        setup_random_image_layer(self, type(self).__name__, seed, data_format)

    def call(self, inputs, training=True):
        ops = self.ops
        inputs = ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        h_axis, w_axis = image_axes(self.name, tuple(ops.shape(inputs)), self.data_format)
        height, width = ops.shape(inputs)[h_axis], ops.shape(inputs)[w_axis]
        return affine_transform(ops, inputs, self.transform(inputs, height, width), self.interpolation,
                                self.fill_mode, self.fill_value, self.data_format, where=self.name)

    def uniforms(self, inputs, lower: float, upper: float):
        """One float32 draw per image in [lower, upper), as a (batch,) tensor in the layer's dtype."""
        draws = draw_per_image(self, inputs, lower, upper)
        return self.ops.cast(self.ops.reshape(draws, (int(np.prod(self.ops.shape(draws))),)), self.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value, "data_format": self.data_format}


class RandomRotation(_RandomAffine):
    """Training: per image an angle of u degrees, u ~ U(360 lower, 360 upper) (one float32 draw; a number f in
    [-1, 1] gives [-|f|, |f|], a pair its sorted values), positive counter-clockwise, about the image centre."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = signed_range("RandomRotation", "factor", factor)

    def transform(self, inputs, height, width):
        degrees = self.uniforms(inputs, 360.0 * self.factor[0], 360.0 * self.factor[1])
        return rotation_matrix(self.ops, degrees, height, width)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomTranslation(_RandomAffine):
    """Training: per image a shift of (u_h H, u_w W) pixels down and right, u_h ~ U(height range) then
    u_w ~ U(width range) (float32 draws in that order; a number f in [-1, 1] gives [-|f|, |f|], a pair its sorted
    values)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = _plain_factor(height_factor), _plain_factor(width_factor)
        self.height_range = signed_range("RandomTranslation", "height_factor", height_factor)
        self.width_range = signed_range("RandomTranslation", "width_factor", width_factor)

    def transform(self, inputs, height, width):
        dy = self.uniforms(inputs, *self.height_range) * float(height)
        dx = self.uniforms(inputs, *self.width_range) * float(width)
        return translation_matrix(self.ops, dx, dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomZoom(_RandomAffine):
    """Training: per image a zoom about the centre by z_h ~ U(1 + lower, 1 + upper) vertically (a float32 draw;
    factors in (-1, 1], a number f gives [-|f|, |f|], positive zooms out), then z_w from `width_factor` likewise, or
    z_w = z_h (the aspect ratio kept) when it is None."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = _plain_factor(height_factor), _plain_factor(width_factor)
        self.height_range = signed_range("RandomZoom", "height_factor", height_factor, open_lower=True)
        self.width_range = (None if width_factor is None
                            else signed_range("RandomZoom", "width_factor", width_factor, open_lower=True))

    def transform(self, inputs, height, width):
        zoom_y = self.uniforms(inputs, 1.0 + self.height_range[0], 1.0 + self.height_range[1])
        zoom_x = zoom_y if self.width_range is None else self.uniforms(inputs, 1.0 + self.width_range[0],
                                                                       1.0 + self.width_range[1])
        return zoom_matrix(self.ops, zoom_x, zoom_y, height, width)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


CLASSES = {cls.__name__: cls for cls in (RandomRotation, RandomTranslation, RandomZoom)}

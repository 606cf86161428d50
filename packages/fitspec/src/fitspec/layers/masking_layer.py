"""Masking: a timestep whose every feature equals `mask_value` is masked (docs/SPEC.md "Masking")."""

from __future__ import annotations

import numbers

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.masking import any_along


class Masking(Layer):
    """mask = any(x != mask_value, axis=-1); outputs x where the mask is True, 0 elsewhere."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise invalid_argument("Masking", "mask_value", "a number", mask_value)
        self.mask_value = mask_value
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return any_along(self.ops, self.ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        ops = self.ops
        kept = ops.expand_dims(self.compute_mask(inputs), -1)
        return ops.where(kept, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


CLASSES = {"Masking": Masking}

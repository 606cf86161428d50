"""`TensorflowLayer`: the core Layer with Keras' input autocasting for TensorFlow tensors.

The core converts numpy and Python inputs to the layer's dtype; a floating tf.Tensor of another
float dtype (a float64 tf.data batch in float32 mode) is cast too, as Keras 3 layers do, since
TensorFlow does not promote `float64 @ float32`.
"""

from __future__ import annotations

import tensorflow as tf

import fitspec


class TensorflowLayer(fitspec.Layer):
    def _convert_input(self, x):
        if tf.is_tensor(x) and x.dtype.is_floating and x.dtype.name != self.dtype:
            return tf.cast(x, self.dtype)
        return super()._convert_input(x)

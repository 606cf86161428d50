"""`TensorflowTrainer`: the TensorFlow guide's `train_step(self, data)` with `tf.GradientTape`.

The loop (fit / evaluate / predict) is the core's; the default test and predict steps and the
metric updates are fitspec.StatefulTrainer's; fitspec_tensorflow.execution compiles the steps.
This class adds the default train_step (the Keras 2 names of the blog's train_step are the core's).
"""

from __future__ import annotations

import tensorflow as tf

import fitspec
from fitspec.data import unpack_x_y_sample_weight


class TensorflowTrainer(fitspec.StatefulTrainer):
    """Mixin of `fitspec_tensorflow.Model`."""

    def train_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)  # loss · loss_scale_factor, as Keras differentiates it
        trainable_variables = self.trainable_variables
        gradients = tape.gradient(scaled_loss, trainable_variables)
        self.optimizer.apply(gradients, trainable_variables)
        return self._update_metrics(loss, x, y, y_pred, sample_weight)

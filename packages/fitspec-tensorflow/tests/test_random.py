"""fs.random inside tf.function: the TensorFlow GAN's draws, shaped by `tf.shape(...)` tensors."""

import numpy as np
import tensorflow as tf

import fitspec_tensorflow as fs


def test_draws_shaped_by_tf_shape_inside_a_tf_function_advance_the_generator():
    generator = fs.random.SeedGenerator(1337)

    @tf.function(autograph=False)
    def noisy_labels(images):
        batch_size = tf.shape(images)[0]
        latent = fs.random.normal(shape=(batch_size, 8), seed=generator)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        return latent, labels + 0.05 * fs.random.uniform(tf.shape(labels), seed=generator)

    images = tf.zeros((5, 28, 28, 1))
    latent, labels = noisy_labels(images)
    assert latent.shape == (5, 8) and labels.shape == (10, 1)
    assert np.all((labels.numpy()[:5] >= 1.0) & (labels.numpy()[:5] < 1.05))
    first_state = generator.state.numpy().copy()
    latent_again, _ = noisy_labels(images)
    assert not np.array_equal(generator.state.numpy(), first_state)
    assert not np.array_equal(latent.numpy(), latent_again.numpy())

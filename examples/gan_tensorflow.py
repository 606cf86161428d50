"""The TensorFlow guide's GAN ("Customizing what happens in fit()", last program) on fitspec_tensorflow.

The guide's `GAN` with its `tf.GradientTape` train_step, unchanged but for `keras` -> `fitspec_tensorflow`
(imported as `fs`), and its tf.data pipeline; the models, the data, `compile` and the end check are
guide_programs/gan_setup.py's (shared by the four gan_<backend>.py). A small number of steps, so the script
runs in well under a minute on a CPU: batches of 32 (the guide: 64) and 2 epochs of 3 batches (the guide: 1
epoch of 100 batches).
"""

import tensorflow as tf
from guide_programs import gan_setup

import fitspec_tensorflow as fs

BATCH_SIZE = 32
STEPS_PER_EPOCH = 3
EPOCHS = 2


class GAN(fs.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = fs.metrics.Mean(name="d_loss")
        self.g_loss_tracker = fs.metrics.Mean(name="g_loss")
        self.seed_generator = fs.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        # Sample random points in the latent space
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = fs.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Decode them to fake images
        generated_images = self.generator(random_latent_vectors)

        # Combine them with real images
        combined_images = tf.concat([generated_images, real_images], axis=0)

        # Assemble labels discriminating real from fake images
        labels = tf.concat(
            [tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0
        )
        # Add random noise to the labels - important trick!
        labels += 0.05 * fs.random.uniform(
            tf.shape(labels), seed=self.seed_generator
        )

        # Train the discriminator
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        # Sample random points in the latent space
        random_latent_vectors = fs.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Assemble labels that say "all real images"
        misleading_labels = tf.zeros((batch_size, 1))

        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)

        # Update metrics and return their value.
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": self.d_loss_tracker.result(),
            "g_loss": self.g_loss_tracker.result(),
        }


all_digits = gan_setup.load_all_digits(fs)
dataset = tf.data.Dataset.from_tensor_slices(all_digits)
dataset = dataset.shuffle(buffer_size=1024).batch(BATCH_SIZE)

gan = gan_setup.compiled_gan(fs, GAN)

# To limit execution time, we only train on a few batches (the guide: 100 batches, 1 epoch).
gan_setup.fit_and_check(fs, gan, dataset.take(STEPS_PER_EPOCH), epochs=EPOCHS)

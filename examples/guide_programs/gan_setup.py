"""The guides' GAN ("Customizing what happens in fit()", last program): what the four gan_<backend>.py share.

The two models, the data, `compile` and the end check are the same in the TensorFlow and PyTorch guides and
on every backend; each `examples/gan_<backend>.py` keeps its own `GAN.train_step` (the backend's idiom), its
data source and its number of steps. The guide's code is unchanged but for:
  - `keras` -> the backend module `fs`, passed in;
  - MNIST comes from `fs.datasets.mnist.load_data()` (a local mnist.npz: fitspec downloads nothing) and,
    where there is none, from `fs.datasets.digits.load_data()` (scikit-learn's digits at 28x28).
`fit_and_check` checks that the discriminator loss moved away from its starting value (the first batch's
d_loss) and exits non-zero if it did not.
"""

import sys

import numpy as np

latent_dim = 128


def discriminator_and_generator(fs):
    layers = fs.layers

    # Create the discriminator
    discriminator = fs.Sequential(
        [
            fs.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )

    # Create the generator
    generator = fs.Sequential(
        [
            fs.Input(shape=(latent_dim,)),
            # We want to generate 128 coefficients to reshape into a 7x7x128 map
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return discriminator, generator


def load_all_digits(fs):
    """The guide's data: the training and the test digits, float32 in [0, 1], shaped (n, 28, 28, 1)."""
    try:
        (x_train, _), (x_test, _) = fs.datasets.mnist.load_data()
        print("MNIST from the local mnist.npz")
    except FileNotFoundError:
        (x_train, _), (x_test, _) = fs.datasets.digits.load_data()
        print("No local MNIST: scikit-learn's digits, in MNIST's 28x28 layout (fs.datasets.digits)")

    # Prepare the dataset. We use both the training & test MNIST digits.
    all_digits = np.concatenate([x_train, x_test])
    all_digits = all_digits.astype("float32") / 255.0
    all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
    return all_digits


def compiled_gan(fs, gan_class):
    """The guide's `gan = GAN(...)` and `gan.compile(...)`, with the backend's `GAN` class."""
    discriminator, generator = discriminator_and_generator(fs)
    gan = gan_class(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=fs.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=fs.optimizers.Adam(learning_rate=0.0003),
        loss_fn=fs.losses.BinaryCrossentropy(from_logits=True),
    )
    return gan


def fit_and_check(fs, gan, data, epochs, **fit_kwargs):
    """`gan.fit(data, epochs=epochs, **fit_kwargs)`, its d_loss and g_loss per epoch, and the end check."""

    class FirstDLoss(fs.callbacks.Callback):
        """Keeps the first batch's d_loss: the discriminator loss's starting value."""

        first = None

        def on_train_batch_end(self, batch, logs=None):
            if self.first is None:
                self.first = float(logs["d_loss"])

    first_d_loss = FirstDLoss()
    history = gan.fit(data, epochs=epochs, callbacks=[first_d_loss], verbose=0, **fit_kwargs)

    for epoch in range(epochs):
        print(f"epoch {epoch + 1}: d_loss={history.history['d_loss'][epoch]:.6f} "
              f"g_loss={history.history['g_loss'][epoch]:.6f}")
    first, last = first_d_loss.first, float(history.history["d_loss"][-1])
    print(f"first d_loss: {first:.6f}")
    print(f"last d_loss: {last:.6f}")
    if not np.isfinite(last) or abs(last - first) < 1e-4:
        print("FAILED: the discriminator loss did not move")
        sys.exit(1)
    print("OK: the discriminator loss moved")

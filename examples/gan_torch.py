"""The PyTorch guide's GAN ("Customizing what happens in fit()", last program) on fitspec_torch.

The guide's code unchanged but for:
  - `keras` -> `fitspec_torch` (imported as `fs`);
  - MNIST comes from `fs.datasets.mnist.load_data()` (a local mnist.npz: fitspec downloads nothing) and,
    where there is none, from `fs.datasets.digits.load_data()` (scikit-learn's digits at 28x28);
  - a small number of steps, so the script runs in well under a minute on a CPU: batches of 32 (the
    guide: 64) and 2 epochs of 3 batches (the guide: 1 epoch over all 70,000 digits): the DataLoader
    holds the first 3 x 32 images.
At the end the script checks that the discriminator loss moved away from its starting value (the first
batch's d_loss) and exits non-zero if it did not.
"""

import sys

import numpy as np
import torch

import fitspec_torch as fs
from fitspec_torch import layers

BATCH_SIZE = 32
STEPS_PER_EPOCH = 3
EPOCHS = 2

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
latent_dim = 128
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


class GAN(fs.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = fs.metrics.Mean(name="d_loss")
        self.g_loss_tracker = fs.metrics.Mean(name="g_loss")
        self.seed_generator = fs.random.SeedGenerator(1337)
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        device = "cuda" if torch.cuda.is_available() else "cpu"
        if isinstance(real_images, tuple) or isinstance(real_images, list):
            real_images = real_images[0]
        # Sample random points in the latent space
        batch_size = real_images.shape[0]
        random_latent_vectors = fs.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Decode them to fake images
        generated_images = self.generator(random_latent_vectors)

        # Combine them with real images
        real_images = torch.tensor(real_images, device=device)
        combined_images = torch.concat([generated_images, real_images], axis=0)

        # Assemble labels discriminating real from fake images
        labels = torch.concat(
            [
                torch.ones((batch_size, 1), device=device),
                torch.zeros((batch_size, 1), device=device),
            ],
            axis=0,
        )
        # Add random noise to the labels - important trick!
        labels += 0.05 * fs.random.uniform(labels.shape, seed=self.seed_generator)

        # Train the discriminator
        self.zero_grad()
        predictions = self.discriminator(combined_images)
        d_loss = self.loss_fn(labels, predictions)
        d_loss.backward()
        grads = [v.value.grad for v in self.discriminator.trainable_weights]
        with torch.no_grad():
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        # Sample random points in the latent space
        random_latent_vectors = fs.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Assemble labels that say "all real images"
        misleading_labels = torch.zeros((batch_size, 1), device=device)

        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        self.zero_grad()
        predictions = self.discriminator(self.generator(random_latent_vectors))
        g_loss = self.loss_fn(misleading_labels, predictions)
        grads = g_loss.backward()
        grads = [v.value.grad for v in self.generator.trainable_weights]
        with torch.no_grad():
            self.g_optimizer.apply(grads, self.generator.trainable_weights)

        # Update metrics and return their value.
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": self.d_loss_tracker.result(),
            "g_loss": self.g_loss_tracker.result(),
        }


class FirstDLoss(fs.callbacks.Callback):
    """Keeps the first batch's d_loss: the discriminator loss's starting value."""

    first = None

    def on_train_batch_end(self, batch, logs=None):
        if self.first is None:
            self.first = float(logs["d_loss"])


def load_all_digits():
    try:
        (x_train, _), (x_test, _) = fs.datasets.mnist.load_data()
        print("MNIST from the local mnist.npz")
    except FileNotFoundError:
        (x_train, _), (x_test, _) = fs.datasets.digits.load_data()
        print("No local MNIST: scikit-learn's digits, in MNIST's 28x28 layout (fs.datasets.digits)")
    return x_train, x_test


# Prepare the dataset. We use both the training & test MNIST digits.
batch_size = BATCH_SIZE
x_train, x_test = load_all_digits()
all_digits = np.concatenate([x_train, x_test])
all_digits = all_digits.astype("float32") / 255.0
all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
all_digits = all_digits[: STEPS_PER_EPOCH * batch_size]  # to limit execution time: a few batches per epoch

# Create a TensorDataset
dataset = torch.utils.data.TensorDataset(
    torch.from_numpy(all_digits), torch.from_numpy(all_digits)
)
# Create a DataLoader
dataloader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)

gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
gan.compile(
    d_optimizer=fs.optimizers.Adam(learning_rate=0.0003),
    g_optimizer=fs.optimizers.Adam(learning_rate=0.0003),
    loss_fn=fs.losses.BinaryCrossentropy(from_logits=True),
)

first_d_loss = FirstDLoss()
history = gan.fit(dataloader, epochs=EPOCHS, callbacks=[first_d_loss], verbose=0)

for epoch in range(EPOCHS):
    print(f"epoch {epoch + 1}: d_loss={history.history['d_loss'][epoch]:.6f} "
          f"g_loss={history.history['g_loss'][epoch]:.6f}")
first, last = first_d_loss.first, float(history.history["d_loss"][-1])
print(f"first d_loss: {first:.6f}")
print(f"last d_loss: {last:.6f}")
if not np.isfinite(last) or abs(last - first) < 1e-4:
    print("FAILED: the discriminator loss did not move")
    sys.exit(1)
print("OK: the discriminator loss moved")

"""The guides' GAN ("Customizing what happens in fit()", last program) on fitspec_numpy, in the JAX guide's style.

The models, data and hyperparameters are the TensorFlow / PyTorch guides' GAN, unchanged but for `keras` ->
`fitspec_numpy` (imported as `fs`); the train_step is written in the JAX guide's stateless style
(`train_step(self, state, data) -> (logs, state)`): `fs.value_and_grad` (autograd, with JAX's signature),
`stateless_call` on the discriminator and the generator, one `optimizer.stateless_apply` per optimizer,
`metric.stateless_update_state` / `stateless_result`.

State bookkeeping. The step's state is the GAN model's `(trainable_variables, non_trainable_variables,
optimizer_variables, metrics_variables)`:
  - the GAN's trainable variables are the discriminator's and the generator's; each sub-model's are found in
    the state by identity (`GAN._slots`), taken out for its `stateless_call` and written back after its update;
  - the seed generator's state is one of the GAN's non-trainable variables: every draw runs in a
    `StatelessScope` that maps it to the value in the state, and the advanced value goes back into the state;
  - `optimizer_variables` is the state of the optimizer `super().compile()` creates (rmsprop), which this GAN
    does not use. The two optimizers of the guide, `d_optimizer` and `g_optimizer`, are not part of the
    step's state (in Keras 3 too, the state holds `model.optimizer`'s variables only): their variables are
    read at the start of the step, updated by `stateless_apply` and assigned back at its end;
  - `metrics_variables` are the two Mean trackers', in the order of `self.metrics`.
Data: MNIST from `fs.datasets.mnist.load_data()` (a local mnist.npz: fitspec downloads nothing) or, where there
is none, `fs.datasets.digits.load_data()` (scikit-learn's digits at 28x28). Few, small steps: the float64
reference computes the guide's transposed convolutions (28x28x128 maps) with autograd-differentiable numpy,
about 20 s per batch of 8 on one CPU core: batches of 8 (the guide: 64), 1 epoch of 2 batches (the guide: 1
epoch of 100 batches). At the end the script checks that the discriminator loss moved away from its starting
value (the first batch's d_loss) and exits non-zero if it did not.
"""

import sys

import numpy as np

import fitspec_numpy as fs
from fitspec_numpy import layers

BATCH_SIZE = 8
STEPS_PER_EPOCH = 2
EPOCHS = 1

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
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @staticmethod
    def _slots(variables, of):
        """The positions in `variables` (the GAN's, as in the state) of the variables `of` (a sub-model's)."""
        position = {id(v): i for i, v in enumerate(variables)}
        return [position[id(v)] for v in of]

    def _draw(self, draw, non_trainable_variables, *args):
        """`draw(*args, seed=self.seed_generator)` with the generator's state read from and written to the state."""
        i = self._slots(self.non_trainable_variables, [self.seed_generator.state])[0]
        with fs.StatelessScope([(self.seed_generator.state, non_trainable_variables[i])]) as scope:
            values = draw(*args, seed=self.seed_generator)
        non_trainable_variables = list(non_trainable_variables)
        non_trainable_variables[i] = scope.get_current_value(self.seed_generator.state)
        return values, non_trainable_variables

    def d_loss_and_updates(self, d_trainable, d_non_trainable, combined_images, labels):
        predictions, d_non_trainable = self.discriminator.stateless_call(d_trainable, d_non_trainable, combined_images)
        d_loss = self.loss_fn(labels, predictions)
        return d_loss, d_non_trainable

    def g_loss_and_updates(self, g_trainable, g_non_trainable, d_trainable, d_non_trainable,
                           random_latent_vectors, misleading_labels):
        generated, g_non_trainable = self.generator.stateless_call(g_trainable, g_non_trainable, random_latent_vectors)
        predictions, _ = self.discriminator.stateless_call(d_trainable, d_non_trainable, generated)
        g_loss = self.loss_fn(misleading_labels, predictions)
        return g_loss, g_non_trainable

    def train_step(self, state, real_images):
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        trainable_variables, non_trainable_variables = list(trainable_variables), list(non_trainable_variables)
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        # The sub-models' variables: slices of the GAN's, by position in the state
        d_slots = self._slots(self.trainable_variables, self.discriminator.trainable_variables)
        g_slots = self._slots(self.trainable_variables, self.generator.trainable_variables)
        d_nt_slots = self._slots(self.non_trainable_variables, self.discriminator.non_trainable_variables)
        g_nt_slots = self._slots(self.non_trainable_variables, self.generator.non_trainable_variables)
        d_trainable = [trainable_variables[i] for i in d_slots]
        g_trainable = [trainable_variables[i] for i in g_slots]
        d_non_trainable = [non_trainable_variables[i] for i in d_nt_slots]
        g_non_trainable = [non_trainable_variables[i] for i in g_nt_slots]
        # The two optimizers' variables (not part of the step's state: see the docstring)
        d_optimizer_variables = [v.value for v in self.d_optimizer.variables]
        g_optimizer_variables = [v.value for v in self.g_optimizer.variables]

        # Sample random points in the latent space
        batch_size = fs.ops.shape(real_images)[0]
        random_latent_vectors, non_trainable_variables = self._draw(
            fs.random.normal, non_trainable_variables, (batch_size, self.latent_dim)
        )

        # Decode them to fake images
        generated_images, g_non_trainable = self.generator.stateless_call(
            g_trainable, g_non_trainable, random_latent_vectors
        )

        # Combine them with real images
        combined_images = fs.ops.concatenate([generated_images, real_images], axis=0)

        # Assemble labels discriminating real from fake images
        labels = fs.ops.concatenate([fs.ops.ones((batch_size, 1)), fs.ops.zeros((batch_size, 1))], axis=0)
        # Add random noise to the labels - important trick!
        noise, non_trainable_variables = self._draw(fs.random.uniform, non_trainable_variables, fs.ops.shape(labels))
        labels += 0.05 * noise

        # Train the discriminator
        grad_fn = fs.value_and_grad(self.d_loss_and_updates, has_aux=True)
        (d_loss, d_non_trainable), grads = grad_fn(d_trainable, d_non_trainable, combined_images, labels)
        d_trainable, d_optimizer_variables = self.d_optimizer.stateless_apply(
            d_optimizer_variables, grads, d_trainable
        )

        # Sample random points in the latent space
        random_latent_vectors, non_trainable_variables = self._draw(
            fs.random.normal, non_trainable_variables, (batch_size, self.latent_dim)
        )

        # Assemble labels that say "all real images"
        misleading_labels = fs.ops.zeros((batch_size, 1))

        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        grad_fn = fs.value_and_grad(self.g_loss_and_updates, has_aux=True)
        (g_loss, g_non_trainable), grads = grad_fn(
            g_trainable, g_non_trainable, d_trainable, d_non_trainable, random_latent_vectors, misleading_labels
        )
        g_trainable, g_optimizer_variables = self.g_optimizer.stateless_apply(
            g_optimizer_variables, grads, g_trainable
        )

        # Write the sub-models' new values back into the GAN's state
        for i, value in zip(d_slots, d_trainable):
            trainable_variables[i] = value
        for i, value in zip(g_slots, g_trainable):
            trainable_variables[i] = value
        for i, value in zip(d_nt_slots, d_non_trainable):
            non_trainable_variables[i] = value
        for i, value in zip(g_nt_slots, g_non_trainable):
            non_trainable_variables[i] = value
        for variable, value in zip(self.d_optimizer.variables, d_optimizer_variables):
            variable.assign(value)
        for variable, value in zip(self.g_optimizer.variables, g_optimizer_variables):
            variable.assign(value)

        # Update metrics and return their value.
        d_tracker_variables = metrics_variables[: len(self.d_loss_tracker.variables)]
        g_tracker_variables = metrics_variables[len(self.d_loss_tracker.variables) :]
        d_tracker_variables = self.d_loss_tracker.stateless_update_state(d_tracker_variables, d_loss)
        g_tracker_variables = self.g_loss_tracker.stateless_update_state(g_tracker_variables, g_loss)
        logs = {
            "d_loss": self.d_loss_tracker.stateless_result(d_tracker_variables),
            "g_loss": self.g_loss_tracker.stateless_result(g_tracker_variables),
        }
        metrics_variables = list(d_tracker_variables) + list(g_tracker_variables)
        state = (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)
        return logs, state


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

gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
gan.compile(
    d_optimizer=fs.optimizers.Adam(learning_rate=0.0003),
    g_optimizer=fs.optimizers.Adam(learning_rate=0.0003),
    loss_fn=fs.losses.BinaryCrossentropy(from_logits=True),
)

first_d_loss = FirstDLoss()
history = gan.fit(all_digits, batch_size=batch_size, epochs=EPOCHS, callbacks=[first_d_loss], verbose=0)

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

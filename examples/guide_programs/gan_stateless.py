"""The guides' GAN with a train_step in the JAX guide's stateless style, shared by gan_numpy.py and gan_jax.py.

`stateless_gan_class(fs, value_and_grad)` is the guides' `GAN` on the backend `fs`, with the train_step of the
JAX guide (`train_step(self, state, data) -> (logs, state)`): `value_and_grad` (`jax.value_and_grad` on JAX,
`fs.value_and_grad` on numpy: autograd with JAX's signature), `stateless_call` on the discriminator and the
generator, one `optimizer.stateless_apply` per optimizer, `metric.stateless_update_state` /
`stateless_result`; its array ops are `fs.ops` (the TensorFlow / PyTorch guides' `tf.concat`, `torch.concat`).

State bookkeeping. The step's state is the GAN model's `(trainable_variables, non_trainable_variables,
optimizer_variables, metrics_variables)`:
  - the GAN's trainable variables are the discriminator's and the generator's; each sub-model's are found in
    the state by identity (`GAN._slots`), taken out for its `stateless_call` and written back after its update;
  - the seed generator's state is one of the GAN's non-trainable variables: every draw runs in a
    `StatelessScope` that maps it to the value in the state, and the advanced value goes back into the state;
  - `optimizer_variables` is the state of the optimizer `super().compile()` creates (rmsprop), which this GAN
    does not use. The two optimizers of the guide, `d_optimizer` and `g_optimizer`, are not part of the
    step's state (in Keras 3 too, the state holds `model.optimizer`'s variables only): their variables are
    read at the start of the step, updated by `stateless_apply` and assigned back at its end. fitspec carries
    them with the state, mapped in the step's stateless scope, so this works in a jitted step too
    (docs/SPEC.md 8.7b); they are built in `compile`, before fit() first reads the state;
  - `metrics_variables` are the two Mean trackers', in the order of `self.metrics`.
"""


def stateless_gan_class(fs, value_and_grad):
    """The guides' `GAN` class on `fs`, its gradients by `value_and_grad` (JAX's signature, with `has_aux`)."""

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
            predictions, d_non_trainable = self.discriminator.stateless_call(
                d_trainable, d_non_trainable, combined_images
            )
            d_loss = self.loss_fn(labels, predictions)
            return d_loss, d_non_trainable

        def g_loss_and_updates(self, g_trainable, g_non_trainable, d_trainable, d_non_trainable,
                               random_latent_vectors, misleading_labels):
            generated, g_non_trainable = self.generator.stateless_call(
                g_trainable, g_non_trainable, random_latent_vectors
            )
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
            noise, non_trainable_variables = self._draw(
                fs.random.uniform, non_trainable_variables, fs.ops.shape(labels)
            )
            labels += 0.05 * noise

            # Train the discriminator
            grad_fn = value_and_grad(self.d_loss_and_updates, has_aux=True)
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
            grad_fn = value_and_grad(self.g_loss_and_updates, has_aux=True)
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

    return GAN

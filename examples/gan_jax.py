"""The guides' GAN ("Customizing what happens in fit()", last program) on fitspec_jax, JAX guide style.

The models, data and end check are guide_programs/gan_setup.py's (shared by the four gan_<backend>.py); the
train_step is guide_programs/gan_stateless.py's (shared with gan_numpy.py), with `jax.value_and_grad`; its
state bookkeeping is described there. The step runs jitted: the two optimizers' variables travel with the
step's state (docs/SPEC.md 8.7b). A small number of steps, so the script runs in well under a minute on a
CPU: batches of 32 (the guide: 64), 2 epochs of 3 batches (the guide: 1 epoch of 100 batches).
"""

import jax
from guide_programs import gan_setup, gan_stateless

import fitspec_jax as fs

BATCH_SIZE = 32
STEPS_PER_EPOCH = 3
EPOCHS = 2

GAN = gan_stateless.stateless_gan_class(fs, jax.value_and_grad)
gan = gan_setup.compiled_gan(fs, GAN)

all_digits = gan_setup.load_all_digits(fs)
all_digits = all_digits[: STEPS_PER_EPOCH * BATCH_SIZE]  # to limit execution time: a few batches per epoch
gan_setup.fit_and_check(fs, gan, all_digits, epochs=EPOCHS, batch_size=BATCH_SIZE)

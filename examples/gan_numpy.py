"""The guides' GAN ("Customizing what happens in fit()", last program) on fitspec_numpy, in the JAX guide's style.

The models, data and end check are guide_programs/gan_setup.py's (shared by the four gan_<backend>.py); the
train_step is guide_programs/gan_stateless.py's (shared with gan_jax.py), with `fs.value_and_grad` (autograd,
with JAX's signature). Few, small steps: the float64 reference computes the guide's transposed convolutions
(28x28x128 maps) with autograd-differentiable numpy, about 20 s per batch of 8 on one CPU core: batches of 8
(the guide: 64), 1 epoch of 2 batches (the guide: 1 epoch of 100 batches).
"""

from guide_programs import gan_setup, gan_stateless

import fitspec_numpy as fs

BATCH_SIZE = 8
STEPS_PER_EPOCH = 2
EPOCHS = 1

GAN = gan_stateless.stateless_gan_class(fs, fs.value_and_grad)
gan = gan_setup.compiled_gan(fs, GAN)

all_digits = gan_setup.load_all_digits(fs)
all_digits = all_digits[: STEPS_PER_EPOCH * BATCH_SIZE]  # to limit execution time: a few batches per epoch
gan_setup.fit_and_check(fs, gan, all_digits, epochs=EPOCHS, batch_size=BATCH_SIZE)

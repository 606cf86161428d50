"""The JAX guide "Customizing what happens in fit()" on the numpy reference backend.

The programs are in guide_programs/custom_train_step_stateless.py, written once for numpy and JAX; this
script runs them with `fs` = fitspec_numpy and `fs.value_and_grad` (autograd, with JAX's signature) in place
of `jax.value_and_grad`.
"""

from guide_programs import custom_train_step_stateless as guide

import fitspec_numpy as fs

if __name__ == "__main__":
    guide.main(fs, fs.value_and_grad)

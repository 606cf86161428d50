"""The JAX guide "Customizing what happens in fit()" on fitspec_jax.

The programs are in guide_programs/custom_train_step_stateless.py, written once for numpy and JAX; this
script runs them with `fs` = fitspec_jax and the guide's own `jax.value_and_grad`.
"""

import jax
from guide_programs import custom_train_step_stateless as guide

import fitspec_jax as fs

if __name__ == "__main__":
    guide.main(fs, jax.value_and_grad)

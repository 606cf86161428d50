"""The JAX guide "Customizing what happens in fit()" on fitspec_jax.

The programs are guide_programs/custom_train_step.py's (written once for every backend); the CustomModel
classes are guide_programs/custom_train_step_models_stateless.py's (written once for numpy and JAX), here with
the guide's own `jax.value_and_grad`.
"""

import jax
from guide_programs import custom_train_step
from guide_programs.custom_train_step_models_stateless import guide_models

import fitspec_jax as fs

PROGRAMS = custom_train_step.programs(fs, guide_models(fs, jax.value_and_grad))

if __name__ == "__main__":
    custom_train_step.main(fs, guide_models(fs, jax.value_and_grad))

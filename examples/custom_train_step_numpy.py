"""The JAX guide "Customizing what happens in fit()" on fitspec_numpy, the float64 reference.

The programs are guide_programs/custom_train_step.py's (written once for every backend); the CustomModel
classes are guide_programs/custom_train_step_models_stateless.py's (written once for numpy and JAX), here with
`fs.value_and_grad` (autograd, with JAX's signature) in place of `jax.value_and_grad`.
"""

from guide_programs import custom_train_step
from guide_programs.custom_train_step_models_stateless import guide_models

import fitspec_numpy as fs

PROGRAMS = custom_train_step.programs(fs, guide_models(fs, fs.value_and_grad))

if __name__ == "__main__":
    custom_train_step.main(fs, guide_models(fs, fs.value_and_grad))

"""The TensorFlow guide "Customizing what happens in fit()" on fitspec_tensorflow.

Every program of the guide, unchanged but for `keras` -> `fitspec_tensorflow` (imported as `fs`): the programs are
guide_programs/custom_train_step.py's (written once for every backend), the CustomModel classes
guide_programs/custom_train_step_models_tensorflow.py's. The guide's GAN is gan_tensorflow.py.
"""

from guide_programs import custom_train_step
from guide_programs.custom_train_step_models_tensorflow import guide_models

import fitspec_tensorflow as fs

PROGRAMS = custom_train_step.programs(fs, guide_models(fs))

if __name__ == "__main__":
    custom_train_step.main(fs, guide_models(fs))

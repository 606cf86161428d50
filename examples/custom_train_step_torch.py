"""The PyTorch guide "Customizing what happens in fit()" on fitspec_torch.

Every program of the guide, unchanged but for `keras` -> `fitspec_torch` (imported as `fs`): the programs are
guide_programs/custom_train_step.py's (written once for every backend), the CustomModel classes
guide_programs/custom_train_step_models_torch.py's. The guide's GAN is gan_torch.py.
"""

from guide_programs import custom_train_step
from guide_programs.custom_train_step_models_torch import guide_models

import fitspec_torch as fs

PROGRAMS = custom_train_step.programs(fs, guide_models(fs))

if __name__ == "__main__":
    custom_train_step.main(fs, guide_models(fs))

"""Optimizers: Keras 3's contract (`base`), each built-in update written once over lists of variables (`leaves`)."""

from fitspec.optimizers.adadelta import Adadelta
from fitspec.optimizers.adafactor import Adafactor
from fitspec.optimizers.adagrad import Adagrad
from fitspec.optimizers.adam import Adam, AdamW
from fitspec.optimizers.adamax import Adamax
from fitspec.optimizers.base import CLIP_OPTIONS, Optimizer
from fitspec.optimizers.ftrl import Ftrl
from fitspec.optimizers.lamb import Lamb
from fitspec.optimizers.leaves import Group, Leaves, VariableLeaves
from fitspec.optimizers.lion import Lion
from fitspec.optimizers.loss_scale_optimizer import LossScaleOptimizer
from fitspec.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from fitspec.optimizers.muon import Muon
from fitspec.optimizers.nadam import Nadam
from fitspec.optimizers.rmsprop import RMSprop
from fitspec.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from fitspec.optimizers.sgd import SGD

CLASSES = {cls.__name__: cls for cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Adamax, Nadam, Adadelta, Lion, Ftrl, Lamb,
                                         Adafactor, ScheduleFreeAdamW, LossScaleOptimizer, Muon)}
#: string names: each class name in lower case, as Keras (which lower-cases the name it is given; "lamb" is
#: fitspec's own, docs/SPEC.md Deviations)
NAMES = {name.lower(): name for name in CLASSES if name != "LossScaleOptimizer"}  # it needs its inner one
#: the optimizer that routes variables to others, apart from CLASSES: no string name (it needs its map) and no
#: default instance; its map (not an Optimizer) is bound to the backend beside it
ROUTING = {"MultiOptimizer": MultiOptimizer}

__all__ = ["CLASSES", "CLIP_OPTIONS", "NAMES", "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax",
           "Ftrl", "Group", "Lamb", "Leaves", "Lion", "LossScaleOptimizer", "MultiOptimizer", "Muon", "Nadam",
           "Optimizer", "OptimizerMap", "RMSprop", "ROUTING", "ScheduleFreeAdamW", "VariableLeaves"]

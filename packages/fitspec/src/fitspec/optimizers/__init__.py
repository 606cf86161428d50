"""Optimizers: Keras 3's contract (`base`), each built-in update written once over lists of variables (`leaves`)."""

from fitspec.optimizers.adam import Adam, AdamW
from fitspec.optimizers.base import CLIP_OPTIONS, Optimizer
from fitspec.optimizers.leaves import Group, Leaves, VariableLeaves
from fitspec.optimizers.rmsprop import RMSprop
from fitspec.optimizers.sgd import SGD

CLASSES = {cls.__name__: cls for cls in (SGD, RMSprop, Adam, AdamW)}
NAMES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}

__all__ = ["CLASSES", "CLIP_OPTIONS", "NAMES", "SGD", "Adam", "AdamW", "Group", "Leaves", "Optimizer", "RMSprop",
           "VariableLeaves"]

"""fitspec core: the backend-neutral spec types, training loop and math, for backend packages."""

from fitspec.backend import Backend
from fitspec.binding import bind, export
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor
from fitspec.models.model import Model
from fitspec.models.sequential import Sequential
from fitspec.seeding import set_random_seed
from fitspec.stateful_trainer import StatefulTrainer
from fitspec.stateless_trainer import StatelessTrainer
from fitspec.variables import StatelessScope, Variable

__version__ = "0.1.0"

__all__ = [
    "Backend", "Input", "Layer", "Model", "Sequential", "StatelessScope", "StatelessTrainer",
    "StatefulTrainer", "SymbolicTensor", "Variable", "bind", "export", "set_random_seed",
]

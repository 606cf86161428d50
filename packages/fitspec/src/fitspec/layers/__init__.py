"""Core layer classes; a backend package exposes them bound to its backend as `fs.layers`."""

from fitspec.layers.core import Activation, Concatenate, Dense, Flatten, LeakyReLU, ReLU, Reshape
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor

__all__ = [
    "Activation", "Concatenate", "Dense", "Flatten", "Input", "Layer", "LeakyReLU", "ReLU", "Reshape", "SymbolicTensor",
]

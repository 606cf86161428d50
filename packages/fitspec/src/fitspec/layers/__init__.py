"""Core layer classes; a backend package exposes them bound to its backend as `fs.layers`.

`CLASSES` gathers every module's `CLASSES`: a new layer module adds itself here, and binding
picks it up.
"""

from fitspec.layers import (
    activation_layers,
    convolutional,
    core,
    embedding,
    input_layer,
    masking_layer,
    merging,
    normalization,
    pooling,
    recurrent,
    regularization,
    reshaping,
    rnn_wrappers,
)
from fitspec.layers.core import Activation, Concatenate, Dense, Flatten, LeakyReLU, ReLU, Reshape
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor

CLASSES = {**core.CLASSES, **convolutional.CLASSES, **pooling.CLASSES, **normalization.CLASSES,
           **embedding.CLASSES, **regularization.CLASSES, **merging.CLASSES, **reshaping.CLASSES,
           **input_layer.CLASSES, **activation_layers.CLASSES,
           **masking_layer.CLASSES, **recurrent.CLASSES, **rnn_wrappers.CLASSES}

__all__ = [
    "CLASSES", "Activation", "Concatenate", "Dense", "Flatten", "Input", "Layer", "LeakyReLU", "ReLU", "Reshape",
    "SymbolicTensor",
]

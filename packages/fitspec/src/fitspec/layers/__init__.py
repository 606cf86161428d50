"""Core layer classes; a backend package exposes them bound to its backend as `fs.layers`.

`CLASSES` gathers every module's `CLASSES`: a new layer module adds itself here, and binding
picks it up.
"""

from fitspec.layers import (
    activation_layers,
    adaptive_pooling,
    attention,
    conv_lstm,
    convolutional,
    core,
    einsum_dense,
    embedding,
    hashing,
    image_preprocessing,
    index_lookup,
    input_layer,
    lambda_layer,
    masking_layer,
    merging,
    normalization,
    pooling,
    preprocessing,
    random_affine,
    recurrent,
    regularization,
    reshaping,
    rnn_wrappers,
    spectral_normalization,
    text_vectorization,
    wrapper,
)
from fitspec.layers.core import Activation, Concatenate, Dense, Flatten, LeakyReLU, ReLU, Reshape
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor

CLASSES = {**core.CLASSES, **convolutional.CLASSES, **pooling.CLASSES, **normalization.CLASSES,
           **embedding.CLASSES, **regularization.CLASSES, **merging.CLASSES, **reshaping.CLASSES,
           **input_layer.CLASSES, **activation_layers.CLASSES,
           **preprocessing.CLASSES, **image_preprocessing.CLASSES, **einsum_dense.CLASSES, **attention.CLASSES,
           **masking_layer.CLASSES, **recurrent.CLASSES, **rnn_wrappers.CLASSES, **conv_lstm.CLASSES,
           **random_affine.CLASSES, **hashing.CLASSES, **index_lookup.CLASSES, **text_vectorization.CLASSES,
           **adaptive_pooling.CLASSES, **lambda_layer.CLASSES, **wrapper.CLASSES, **spectral_normalization.CLASSES}
#: Keras's other names of layer classes: alias -> class name
ALIASES = {**convolutional.ALIASES, **pooling.ALIASES}

__all__ = [
    "ALIASES", "CLASSES", "Activation", "Concatenate", "Dense", "Flatten", "Input", "Layer", "LeakyReLU", "ReLU",
    "Reshape", "SymbolicTensor",
]

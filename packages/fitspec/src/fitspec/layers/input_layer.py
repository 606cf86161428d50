"""`InputLayer`: the layer of an `Input` in a Functional model's `layers` and config, as in Keras 3."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor


class InputLayer(Layer):
    """Holds one symbolic input (`output`); called on data it returns the data."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        for argument, value in (("sparse", sparse), ("ragged", ragged), ("optional", optional)):
            if value:  # a dense, required input is all fitspec computes: anything else is refused, never ignored
                raise invalid_argument("InputLayer", argument, "False or None (fitspec has dense inputs only)", value)
        if input_tensor is not None:
            if not isinstance(input_tensor, SymbolicTensor):
                raise invalid_argument("InputLayer", "input_tensor", "a symbolic tensor from fs.Input", input_tensor)
            tensor = input_tensor
        else:
            tensor = Input(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)
        super().__init__(name=name or tensor.name, dtype=dtype, **kwargs)
        self._tensor = tensor
        tensor.input_layer = self
        self.built = True

    @property
    def input(self):
        return self._tensor

    @property
    def output(self):
        return self._tensor

    @property
    def batch_shape(self):
        return self._tensor.shape

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self._tensor.shape), "dtype": self._tensor.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": False}

    @classmethod
    def from_config(cls, config: dict):
        from fitspec.saving.serialization import constructor_config

        return cls(**constructor_config(cls, config, "InputLayer.from_config"))


CLASSES = {"InputLayer": InputLayer}

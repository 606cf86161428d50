"""`Sequential`: a stack of layers, each called on the previous one's output."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor
from fitspec.models.functional import FunctionalGraph
from fitspec.models.model import Model


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack: list[Layer] = []
        self._input = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        if isinstance(layer, SymbolicTensor):
            if self._stack or self._input is not None:
                raise invalid_argument("Sequential.add", "layer", "an Input only as the first entry", layer)
            self._input = layer
            return
        if not isinstance(layer, Layer):
            raise invalid_argument("Sequential.add", "layer", "a Layer instance", layer)
        self._stack.append(layer)
        self._tracked_layers["_stack"] = list(self._stack)
        if self._input is None and layer._input_shape_arg is not None and len(self._stack) == 1:
            self._input = Input(shape=layer._input_shape_arg)
        if self._input is not None:
            self._build_graph()
        else:
            self.built = False

    def pop(self) -> Layer:
        layer = self._stack.pop()
        self._tracked_layers["_stack"] = list(self._stack)
        if self._input is not None and self._stack:
            self._build_graph()
        return layer

    def _build_graph(self) -> None:
        x = self._input
        for layer in self._stack:
            x = layer(x)
        self._set_graph(FunctionalGraph(self._input, x))

    def build(self, input_shape) -> None:
        if self._input is None:
            self._input = Input(batch_shape=(None, *tuple(input_shape)[1:]))
            self._build_graph()

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._stack:
            kwargs = {"training": training} if layer._call_accepts_training and training is not None else {}
            x = layer(x, **kwargs)
        return x

    @property
    def layers(self) -> list:
        return list(self._stack)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

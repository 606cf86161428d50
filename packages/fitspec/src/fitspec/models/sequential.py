"""`Sequential`: a stack of layers, each called on the previous one's output."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.layers.symbolic import Input, SymbolicTensor
from fitspec.models.model import Model


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self._stack: list[Layer] = []
        self._input = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        if type(layer).__name__ == "InputLayer" and isinstance(layer, Layer):
            layer = layer.output  # Keras: an InputLayer (a Functional model's layers[0]) gives the input
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
        if self._graph is not None:  # the previous graph's calls are no layer's nodes any more
            for node in self._graph.nodes:
                if node in node.layer._inbound_nodes:
                    node.layer._inbound_nodes.remove(node)
        x = self._input
        for layer in self._stack:
            x = layer(x)
        self._set_graph(self._new_graph(self._input, x))

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
        """Keras 3's: name, trainable, dtype, the layers (the InputLayer first when there is an input) and the
        input shape it was built for."""
        from fitspec.saving.serialization import serialize_keras_object

        layers = [serialize_keras_object(layer) for layer in self._stack]
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if self._input is not None:
            layers.insert(0, serialize_keras_object(self._graph.input_layers[0]) if self._graph is not None
                          and self._graph.input_layers[0] is not None else None)
            config["build_input_shape"] = list(self._input.shape)
        config["layers"] = [layer for layer in layers if layer is not None]
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from fitspec.saving.serialization import constructor_config, deserialize_keras_object

        api = cls.backend.api
        where = f"{cls.__name__}.from_config"
        rest = constructor_config(cls, {k: v for k, v in config.items() if k not in ("layers", "build_input_shape")},
                                  where)
        model = cls(**rest)
        for layer_config in config.get("layers") or []:
            model.add(deserialize_keras_object(layer_config, custom_objects, api, where, build=False))
        shape = config.get("build_input_shape")
        if shape is not None and model._input is None:
            model.build(tuple(shape))
        return model

"""Wrapper: the base of layers that hold one other layer and change how it runs (Keras 3's keras.layers.Wrapper)."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer


class Wrapper(Layer):
    """Holds `layer` (built with the wrapper's input shape unless built already); its config holds the layer's."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise invalid_argument(type(self).__name__, "layer", "a Layer instance", layer)
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True

    def get_config(self):
        from fitspec.saving.serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config):
        from fitspec.saving.serialization import deserialize_keras_object

        layer = deserialize_keras_object(config.get("layer"), None, cls.backend.api, f"{cls.__name__}.from_config",
                                         build=False)
        return super().from_config({**config, "layer": layer})


CLASSES = {"Wrapper": Wrapper}

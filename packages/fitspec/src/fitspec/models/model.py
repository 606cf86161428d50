"""`Model`: a Layer with the trainer; functional when built from `(inputs, outputs)`, else subclassed."""

from __future__ import annotations

import optree

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.models.functional import FunctionalGraph
from fitspec.summary import print_summary
from fitspec.trainer import Trainer


class Model(Trainer, Layer):
    """`Model(inputs, outputs)`, a subclass of it with the same constructor, or a subclass with `call()`."""

    def __init__(self, *args, inputs=None, outputs=None, name=None, **kwargs):
        if len(args) > 2:
            raise TypeError(f"Model() takes at most 2 positional arguments (inputs, outputs); received {len(args)}.")
        if args:
            inputs = args[0]
        if len(args) == 2:
            outputs = args[1]
        trainable = kwargs.pop("trainable", True)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                missing = "outputs" if outputs is None else "inputs"
                raise invalid_argument("Model", missing, "both inputs and outputs", None)
            self._set_graph(self._new_graph(inputs, outputs))

    def _new_graph(self, inputs, outputs) -> FunctionalGraph:
        api = getattr(self.backend, "api", None)
        return FunctionalGraph(inputs, outputs, getattr(getattr(api, "layers", None), "InputLayer", None))

    def _set_graph(self, graph: FunctionalGraph) -> None:
        self._graph = graph
        self._tracked_layers["_graph_layers"] = graph.layers
        self.built = True

    # -- the functional graph (Keras 3: `inputs` / `outputs` are lists, `input` / `output` the structures) --
    @property
    def input(self):
        if self._graph is None:
            return Layer.input.fget(self)
        return self._graph.inputs

    @property
    def output(self):
        if self._graph is None:
            return Layer.output.fget(self)
        return self._graph.outputs

    @property
    def inputs(self):
        return None if self._graph is None else list(self._graph.input_leaves)

    @property
    def outputs(self):
        return None if self._graph is None else optree.tree_leaves(self._graph.outputs)

    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed Model must implement call(), "
                "or be built functionally as Model(inputs, outputs)."
            )
        return self._graph.run(inputs, training=training)

    def _maybe_build(self, first_arg) -> None:
        if self.built:
            return  # no attribute write per call: an nn.Module's __setattr__ is slow
        if self._graph is not None:
            self.built = True
            return
        super()._maybe_build(first_arg)

    @property
    def layers(self) -> list:
        """A Functional model's layers with its InputLayers, in Keras's order (docs/SPEC.md 2.12); a subclassed model's
        sublayers."""
        if self._graph is None:
            return self._sublayers()
        return self._graph.ordered_layers()

    def get_layer(self, name=None, index=None):
        if index is not None:
            if not 0 <= index < len(self.layers):
                raise invalid_argument(f"{self.name}.get_layer", "index", f"an int in [0, {len(self.layers)})", index)
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise invalid_argument(
            f"{self.name}.get_layer", "name", f"one of {[layer.name for layer in self.layers]}", name
        )

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None) -> None:
        """One row per layer (Keras 3's arguments; docs/SPEC.md 2.9)."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def save(self, filepath, overwrite=True) -> None:
        """Architecture, weights, optimizer state and compile arguments in one file (docs/SPEC.md, "Saving")."""
        from fitspec.saving import save_model

        _check_overwrite(filepath, overwrite, "save")
        save_model(self, filepath)

    def save_weights(self, filepath, overwrite=True) -> None:
        from fitspec.saving import save_weights

        _check_overwrite(filepath, overwrite, "save_weights")
        save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False) -> None:
        """The file's weights, in order; with `skip_mismatch`, a layer whose weights differ in count or shape from
        the file's keeps its own (with a warning naming it)."""
        from fitspec.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    # -- configs (docs/SPEC.md 2.8) --------------------------------------------------------------------------
    def get_config(self) -> dict:
        """A Functional model's graph in Keras 3's form; else the constructor arguments (Layer.get_config)."""
        if self._graph is not None:
            from fitspec.saving.serialization import functional_config

            return functional_config(self)
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from fitspec.saving.serialization import constructor_config, functional_from_config

        if "layers" in config and "input_layers" in config:
            return functional_from_config(cls, config, custom_objects)
        return cls(**constructor_config(cls, config, f"{cls.__name__}.from_config"))

    def to_json(self, **kwargs) -> str:
        """The model's Keras config as JSON (`fs.models.model_from_json` rebuilds it, with new weights)."""
        from fitspec.saving.serialization import to_json

        return to_json(self, **kwargs)


def _check_overwrite(filepath, overwrite, where) -> None:
    import os

    if not overwrite and os.path.exists(filepath):
        raise invalid_argument(where, "filepath", "a path that does not exist yet (overwrite=False)", str(filepath))

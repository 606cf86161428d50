"""`Model`: a Layer with the trainer; functional when built from `(inputs, outputs)`, else subclassed."""

from __future__ import annotations

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
            self._set_graph(FunctionalGraph(inputs, outputs))

    def _set_graph(self, graph: FunctionalGraph) -> None:
        self._graph = graph
        self._tracked_layers["_graph_layers"] = graph.layers
        self.built = True

    @property
    def inputs(self):
        return None if self._graph is None else self._graph.inputs

    @property
    def outputs(self):
        return None if self._graph is None else self._graph.outputs

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
        return self._graph.layers if self._graph is not None else self._sublayers()

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

    def summary(self, print_fn=print) -> None:
        print_summary(self, print_fn)

    def save(self, filepath, overwrite=True) -> None:
        """Architecture, weights, optimizer state and compile arguments in one file (docs/SPEC.md, "Saving")."""
        from fitspec.saving import save_model

        _check_overwrite(filepath, overwrite, "save")
        save_model(self, filepath)

    def save_weights(self, filepath, overwrite=True) -> None:
        from fitspec.saving import save_weights

        _check_overwrite(filepath, overwrite, "save_weights")
        save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        from fitspec.saving import load_weights

        load_weights(self, filepath)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}


def _check_overwrite(filepath, overwrite, where) -> None:
    import os

    if not overwrite and os.path.exists(filepath):
        raise invalid_argument(where, "filepath", "a path that does not exist yet (overwrite=False)", str(filepath))

"""The functional graph: the nodes between a model's Inputs and outputs, replayed on real data."""

from __future__ import annotations

import optree

from fitspec.errors import invalid_argument
from fitspec.layers.layer import is_leaf
from fitspec.layers.symbolic import Node, SymbolicTensor


class FunctionalGraph:
    """Inputs (a tensor, a list or a dict of Inputs), outputs, and the nodes in execution order."""

    def __init__(self, inputs, outputs, input_layer_class=None):
        for argument, structure in (("inputs", inputs), ("outputs", outputs)):
            leaves = optree.tree_leaves(structure)
            if not leaves or not all(isinstance(t, SymbolicTensor) for t in leaves):
                raise invalid_argument(
                    "Model", argument, "symbolic tensors from `Input(...)` and layers called on them", structure
                )
        self.inputs = inputs
        self.outputs = outputs
        self.input_leaves = optree.tree_leaves(inputs)
        if len({id(t) for t in self.input_leaves}) != len(self.input_leaves):
            raise invalid_argument("Model", "inputs", "each Input once", inputs)
        self.input_layers = [self._input_layer(t, input_layer_class) for t in self.input_leaves]
        self._input_index = {id(t): i for i, t in enumerate(self.input_leaves)}
        self._ordered_layers = None
        self.nodes = self._nodes_in_order()
        self._single_inputs = [_single_input(node) for node in self.nodes]
        input_ids = {id(t) for t in self.input_leaves}
        for node in self.nodes:
            for t in node.inputs:
                if t.node is None and id(t) not in input_ids:
                    raise invalid_argument(
                        "Model", "inputs", f"every Input the outputs depend on, including '{t.name}'", inputs
                    )

    @staticmethod
    def _input_layer(tensor, input_layer_class):
        """The InputLayer of an Input (made on the model's backend the first time a model is built on it)."""
        layer = tensor.input_layer
        if input_layer_class is not None and (layer is None or layer.backend is not input_layer_class.backend):
            layer = input_layer_class(input_tensor=tensor, name=tensor.name)
        return layer

    def _nodes_in_order(self):
        order, visited = [], set()

        def visit(tensor):
            node = tensor.node
            if node is None or id(node) in visited:
                return
            visited.add(id(node))
            for t in node.inputs:
                visit(t)
            order.append(node)

        for t in optree.tree_leaves(self.outputs):
            visit(t)
        return order

    @property
    def layers(self) -> list:
        """The layers in Keras's order without the InputLayers (`ordered_layers`)."""
        input_ids = {id(layer) for layer in self.input_layers}
        return [layer for layer in self.ordered_layers() if id(layer) not in input_ids]

    def ordered_layers(self) -> list:
        """Every layer, InputLayers included, in Keras 3's order (`keras.src.ops.function.map_graph`): by depth, the
        longest path to an output, deepest first; ties by the order a depth-first walk from the outputs first meets
        them. `get_weights()`, `summary()` and `model.layers` list layers in this order (docs/SPEC.md 2.12)."""
        if self._ordered_layers is None:
            self._ordered_layers = self._keras_order()
        return list(self._ordered_layers)

    def _keras_order(self) -> list:
        first_met, finished, post_order = {}, set(), []

        def producer(tensor):  # the node that made `tensor`, else its Input's InputLayer (the Input if it has none)
            if tensor.node is not None:
                return tensor.node
            return self.input_layers[self._input_index[id(tensor)]] or tensor

        def walk(tensor):
            node = producer(tensor)
            if id(node) in finished:
                return
            layer = node.layer if tensor.node is not None else node
            first_met.setdefault(id(layer), len(first_met))
            if tensor.node is not None:
                for t in node.inputs:
                    walk(t)
            finished.add(id(node))
            post_order.append((node, layer))

        for t in optree.tree_leaves(self.outputs):
            walk(t)
        node_depth, layer_depth, layers = {}, {}, {}
        for node, layer in reversed(post_order):
            depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(layer), 0))
            layer_depth[id(layer)] = node_depth[id(node)] = depth
            layers[id(layer)] = layer
            for t in node.inputs if isinstance(node, Node) else ():
                parent = id(producer(t))
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
        for layer in self.input_layers:  # an Input no output depends on (Keras keeps it, at depth 0)
            if layer is not None and id(layer) not in layers:
                layers[id(layer)], layer_depth[id(layer)], first_met[id(layer)] = layer, 0, -1
        ordered = sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], first_met[id(layer)]))
        return [layer for layer in ordered if not isinstance(layer, SymbolicTensor)]

    def _match_inputs(self, data) -> dict[int, object]:
        """{id(Input): value}: a dict by Input name, else the same structure as `inputs`."""
        if isinstance(data, dict) and not isinstance(self.inputs, dict):
            names = [t.name for t in self.input_leaves]
            missing = [n for n in names if n not in data]
            if missing:
                received = f"<dict with keys {sorted(data)}>"
                raise invalid_argument("Model.call", "inputs", f"a dict with keys {names}", received)
            return {id(t): data[t.name] for t in self.input_leaves}
        if isinstance(self.inputs, dict):
            if not isinstance(data, dict) or set(data) != set(self.inputs):
                raise invalid_argument(
                    "Model.call", "inputs", f"a dict with keys {sorted(self.inputs)}",
                    data if not isinstance(data, dict) else f"<dict with keys {sorted(data)}>",
                )
            return {id(self.inputs[k]): data[k] for k in self.inputs}
        if len(self.input_leaves) == 1:
            if isinstance(data, (list, tuple)) and len(data) == 1:
                data = data[0]
            return {id(self.input_leaves[0]): data}
        if not isinstance(data, (list, tuple)) or len(data) != len(self.input_leaves):
            raise invalid_argument(
                "Model.call", "inputs", f"a list of {len(self.input_leaves)} arrays", data
            )
        return {id(t): v for t, v in zip(self.input_leaves, data)}

    def run(self, data, training=None):
        values = self._match_inputs(data)

        def resolve(x):
            return values[id(x)] if isinstance(x, SymbolicTensor) else x

        for node, single_input in zip(self.nodes, self._single_inputs):
            layer = node.layer
            pass_training = training is not None and layer._call_accepts_training
            if single_input is not None:  # `layer(x)`: the common node, without structure walks
                outputs = layer(values[single_input], training=training) if pass_training else layer(
                    values[single_input])
                if isinstance(node.outputs, SymbolicTensor) and is_leaf(outputs):
                    values[id(node.outputs)] = outputs
                    continue
            else:
                args, kwargs = optree.tree_map(resolve, (node.args, node.kwargs), none_is_leaf=True)
                if pass_training and kwargs.get("training") is None:
                    kwargs = {**kwargs, "training": training}
                outputs = layer(*args, **kwargs)
            for symbolic, value in zip(optree.tree_leaves(node.outputs), optree.tree_leaves(outputs)):
                values[id(symbolic)] = value
        if isinstance(self.outputs, SymbolicTensor):
            return values[id(self.outputs)]
        return optree.tree_map(resolve, self.outputs)


def _single_input(node) -> int | None:
    """id of the one symbolic tensor a node was called on alone (`layer(x)`), else None."""
    if len(node.args) == 1 and not node.kwargs and isinstance(node.args[0], SymbolicTensor):
        return id(node.args[0])
    return None

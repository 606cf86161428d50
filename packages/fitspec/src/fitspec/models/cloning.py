"""`fs.models.clone_model`: the same architecture with new layers (new weights), as Keras 3 clones."""

from __future__ import annotations

import optree

from fitspec.errors import invalid_argument
from fitspec.layers.symbolic import Input, SymbolicTensor


def _clone_layer(layer):
    """Keras's default: a new layer from the layer's config (so new weights)."""
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A Functional or Sequential model rebuilt from new layers (`clone_function(layer)`, default: from its config;
    shared layers stay shared), called by `call_function(layer, *args, **kwargs)` when given; a subclassed model
    from its config."""
    from fitspec.models.model import Model
    from fitspec.models.sequential import Sequential

    if kwargs:
        raise invalid_argument("clone_model", sorted(kwargs)[0], "one of input_tensors, clone_function, "
                               "call_function, recursive", kwargs[sorted(kwargs)[0]])
    if not isinstance(model, Model):
        raise invalid_argument("clone_model", "model", "a Model", model)
    default = clone_function is None

    def clone(layer):
        if recursive and isinstance(layer, Model) and layer._graph is not None:
            return clone_model(layer, clone_function=clone_function, call_function=call_function, recursive=True)
        return (clone_function or _clone_layer)(layer)

    if model._graph is None:
        if not default or call_function is not None or input_tensors is not None:
            raise invalid_argument("clone_model", "model", "a Functional or Sequential model when clone_function, "
                                   "call_function or input_tensors is given", f"<the subclassed {model.name!r}>")
        return type(model).from_config(model.get_config())
    if isinstance(model, Sequential):
        if input_tensors is not None:
            x = input_tensors[0] if isinstance(input_tensors, (list, tuple)) else input_tensors
        else:
            source = model._input
            x = Input(batch_shape=source.shape, dtype=source.dtype, name=source.name)
        if call_function is not None:
            raise invalid_argument("clone_model", "call_function", "None for a Sequential model (it calls each layer "
                                   "on the previous output)", call_function)
        return type(model)([x, *[clone(layer) for layer in model.layers]], name=model.name,
                           trainable=model.trainable)
    graph = model._graph
    if input_tensors is not None:
        new_inputs = optree.tree_leaves(input_tensors)
        if len(new_inputs) != len(graph.input_leaves):
            raise invalid_argument("clone_model", "input_tensors", f"{len(graph.input_leaves)} symbolic tensors",
                                   input_tensors)
    else:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t.name) for t in graph.input_leaves]
    tensors = {id(old): new for old, new in zip(graph.input_leaves, new_inputs)}
    clones = {}
    for node in graph.nodes:
        layer = node.layer
        if id(layer) not in clones:
            clones[id(layer)] = clone(layer)
        args, kwargs_ = optree.tree_map(lambda x: tensors[id(x)] if isinstance(x, SymbolicTensor) else x,
                                        (node.args, node.kwargs), none_is_leaf=True)
        call = call_function or (lambda layer_, *a, **k: layer_(*a, **k))
        outputs = call(clones[id(layer)], *args, **kwargs_)
        for old, new in zip(optree.tree_leaves(node.outputs), optree.tree_leaves(outputs)):
            tensors[id(old)] = new
    inputs = optree.tree_unflatten(optree.tree_structure(graph.inputs), new_inputs)
    outputs = optree.tree_map(lambda t: tensors[id(t)], graph.outputs)
    return type(model)(inputs, outputs, name=model.name)

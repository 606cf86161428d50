"""Architectures and compile arguments as JSON-ready configs, and back.

    layer       {"class_name", "config"}                     rebuilt with cls.from_config(config)
    Sequential  {"class_name": "Sequential", "name", "input": spec | None, "layers": [layer, ...]}
    functional  {"class_name", "name", "inputs": refs, "input_specs", "layers", "nodes", "outputs": refs}
                a node is {"layer": index, "args", "kwargs"}; a tensor is {"__tensor__": [node, index]}
                (node -1: the model's inputs)
    subclassed  {"class_name", "config": model.get_config(), "build_shapes"}
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import optree

from fitspec import losses as core_losses
from fitspec import metrics as core_metrics
from fitspec.errors import invalid_argument
from fitspec.layers.symbolic import Input, SymbolicTensor
from fitspec.saving.registry import registered_name, resolve_class


def layer_config(layer) -> dict:
    return {"class_name": registered_name(layer), "config": layer.get_config()}


def _encode_structure(structure, tensor_ref):
    def encode(leaf):
        if isinstance(leaf, SymbolicTensor):
            return {"__tensor__": tensor_ref(leaf)}
        if leaf is None or isinstance(leaf, (bool, int, float, str)):
            return leaf
        raise invalid_argument("save", "model", "layer calls whose arguments are tensors or JSON constants",
                               leaf)

    return optree.tree_map(encode, structure, none_is_leaf=True)


def model_config(model) -> dict:
    from fitspec.models.sequential import Sequential

    if isinstance(model, Sequential) and type(model).__name__ == "Sequential":
        spec = None
        if model._input is not None:
            spec = {"shape": list(model._input.shape[1:]), "dtype": model._input.dtype, "name": model._input.name}
        return {"class_name": "Sequential", "name": model.name, "input": spec,
                "layers": [layer_config(layer) for layer in model.layers]}
    graph = model._graph
    if graph is None:
        return {"class_name": registered_name(model), "config": model.get_config(),
                "build_shapes": getattr(model, "_build_shapes", None)}
    inputs = graph.input_leaves
    node_index = {id(node): i for i, node in enumerate(graph.nodes)}
    layer_index = {id(layer): i for i, layer in enumerate(graph.layers)}

    def ref(tensor):
        if tensor.node is None:
            return [-1, next(i for i, t in enumerate(inputs) if t is tensor)]
        return [node_index[id(tensor.node)], tensor.index]

    name = registered_name(model)
    return {
        "class_name": "Model" if name in ("Model",) else name,
        "functional": True,
        "name": model.name,
        "inputs": _encode_structure(graph.inputs, ref),
        "input_specs": [{"shape": list(t.shape[1:]), "dtype": t.dtype, "name": t.name} for t in inputs],
        "layers": [layer_config(layer) for layer in graph.layers],
        "nodes": [{"layer": layer_index[id(n.layer)], "args": _encode_structure(list(n.args), ref),
                   "kwargs": _encode_structure(n.kwargs, ref)} for n in graph.nodes],
        "outputs": _encode_structure(graph.outputs, ref),
    }


def build_layer(config: dict, api, custom_objects, where):
    cls = resolve_class(config["class_name"], _builtin_layers(api), custom_objects, api_backend(api), where)
    return cls.from_config(dict(config["config"]))


def api_backend(api):
    return api.Model.backend


def _builtin_layers(api) -> dict:
    return {k: v for k, v in vars(api.layers).items() if inspect.isclass(v)}


def _decode_structure(structure, tensors):
    def is_ref(x):
        return isinstance(x, dict) and set(x) == {"__tensor__"}

    def decode(x):
        if is_ref(x):
            node, index = x["__tensor__"]
            return tensors[(node, index)]
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    return decode(structure)


def build_model(config: dict, api, custom_objects=None, where="load_model"):
    """A new, built model on `api`'s backend from `model_config(...)`."""
    class_name = config["class_name"]
    if class_name == "Sequential":
        model = api.Sequential(name=config["name"])
        if config["input"] is not None:
            spec = config["input"]
            model.add(Input(shape=tuple(spec["shape"]), dtype=spec["dtype"], name=spec["name"]))
        for layer in config["layers"]:
            model.add(build_layer(layer, api, custom_objects, where))
        return model
    if config.get("functional"):
        inputs = [Input(shape=tuple(s["shape"]), dtype=s["dtype"], name=s["name"]) for s in config["input_specs"]]
        tensors = {(-1, i): t for i, t in enumerate(inputs)}
        layers = [build_layer(layer, api, custom_objects, where) for layer in config["layers"]]
        for i, node in enumerate(config["nodes"]):
            args = _decode_structure(node["args"], tensors)
            kwargs = _decode_structure(node["kwargs"], tensors)
            outputs = layers[node["layer"]](*args, **kwargs)
            for j, t in enumerate(optree.tree_leaves(outputs)):
                tensors[(i, j)] = t
        model_inputs = _decode_structure(config["inputs"], tensors)
        model_outputs = _decode_structure(config["outputs"], tensors)
        cls = api.Model if class_name == "Model" else resolve_class(class_name, {}, custom_objects,
                                                                    api_backend(api), where)
        return cls(inputs=model_inputs, outputs=model_outputs, name=config["name"])
    cls = resolve_class(class_name, {}, custom_objects, api_backend(api), where)
    model = cls.from_config(dict(config["config"]))
    shapes = config.get("build_shapes")
    if shapes is not None:
        model(_zeros_like_shapes(shapes, model.dtype), training=False)
    return model


#: the most numbers one sample of a model's inputs may hold in a config that is loaded: building the model
#: runs each layer once on zeros of that shape, which a file alone must not make arbitrarily large
MAX_INPUT_VALUES = 2**26


def check_input_sizes(config: dict, contents) -> None:
    """Refuse (`contents.refuse`) a config whose inputs would build on more than MAX_INPUT_VALUES per sample."""
    if config.get("class_name") == "Sequential":
        shapes = [config["input"]["shape"]] if config.get("input") is not None else []
    elif config.get("functional"):
        shapes = [spec["shape"] for spec in config["input_specs"]]
    else:
        shapes = optree.tree_leaves(config.get("build_shapes"), is_leaf=_is_shape, none_is_leaf=False)
    for shape in shapes:
        if not _is_shape(shape):
            contents.refuse("input shapes that are lists of non-negative ints or None", f"with the shape {shape!r}")
        values = math.prod(1 if d is None else d for d in shape)
        if values > MAX_INPUT_VALUES:
            contents.refuse(f"inputs of at most {MAX_INPUT_VALUES} values per sample",
                            f"whose config has an input of shape {shape}")


def _is_shape(s) -> bool:
    return isinstance(s, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0)
                                       for d in s)


def _zeros_like_shapes(shapes, dtype):
    return optree.tree_map(lambda s: np.zeros([1 if d is None else d for d in s], dtype=dtype), shapes,
                           is_leaf=_is_shape)


# -- compile arguments ---------------------------------------------------------------------------------
def object_config(obj):
    """A loss, metric or optimizer argument of compile() as JSON: names stay names."""
    if obj is None or isinstance(obj, (str, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [object_config(o) for o in obj]
    if isinstance(obj, dict):
        return {"per_output": {k: object_config(v) for k, v in obj.items()}}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj) or hasattr(obj, "func"):
        return {"function": getattr(obj, "__name__", repr(obj))}
    if isinstance(obj, core_losses.LossFunctionWrapper) and type(obj).__name__ == "LossFunctionWrapper":
        return {"function": getattr(obj.fn, "__name__", repr(obj.fn)), "name": obj.name}
    if isinstance(obj, core_metrics.MeanMetricWrapper) and type(obj).__name__ == "MeanMetricWrapper":
        return {"function": getattr(obj._fn, "__name__", repr(obj._fn)), "name": obj.name}
    return {"class_name": registered_name(obj), "config": obj.get_config()}


def build_object(config, namespace, custom_objects, where, wrap=None):
    if config is None or isinstance(config, (str, int, float)):
        return config
    if isinstance(config, list):
        return [build_object(c, namespace, custom_objects, where, wrap) for c in config]
    if "per_output" in config:
        return {k: build_object(v, namespace, custom_objects, where, wrap) for k, v in config["per_output"].items()}
    if "function" in config:
        fn_name = config["function"]
        fn = (custom_objects or {}).get(fn_name) or getattr(namespace, fn_name, None)
        if fn is None:
            raise invalid_argument(where, "custom_objects", f"the function {fn_name!r} named by the saved compile "
                                   f"arguments: pass custom_objects={{{fn_name!r}: {fn_name}}}", "<unknown>")
        return wrap(fn, config.get("name")) if wrap and "name" in config else fn
    builtins = {k: v for k, v in vars(namespace).items() if inspect.isclass(v)}
    cls = resolve_class(config["class_name"], builtins, custom_objects, api_backend_of(namespace), where)
    from_config = getattr(cls, "from_config", None)
    return from_config(dict(config["config"])) if from_config else cls(**config["config"])


def api_backend_of(namespace):
    for value in vars(namespace).values():
        if inspect.isclass(value) and getattr(value, "backend", None) is not None:
            return value.backend
    return None

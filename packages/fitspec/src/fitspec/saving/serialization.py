"""Configs: Keras 3's serialized form of layers, models and functions, and the legacy form of fitspec 0.1 files.

    object      {"module", "class_name", "config", "registered_name"[, "build_config"]}: cls.from_config(config)
    function    {"module", "class_name": "function", "config": registered name or __name__, "registered_name"}
    Functional  config {"name", "trainable", "layers": [object + {"name", "inbound_nodes"}], "input_layers",
                "output_layers"}; a node is {"args", "kwargs"} with tensors as {"class_name": "__keras_tensor__",
                "config": {"shape", "dtype", "keras_history": [layer name, node index, tensor index]}}
    Sequential  config {"name", "trainable", "dtype", "layers": [InputLayer?, object, ...], "build_input_shape"}

Names resolve through custom objects, scopes and the registry first, then the built-ins of the loading
backend's namespace (saving.registry). What cannot be rebuilt exactly is an error naming it, never a default.
The legacy form (files written by fitspec 0.1) is read by `build_model`:

    layer       {"class_name", "config"}                     rebuilt with cls.from_config(config)
    Sequential  {"class_name": "Sequential", "name", "input": spec | None, "layers": [layer, ...]}
    functional  {"class_name", "name", "inputs": refs, "input_specs", "layers", "nodes", "outputs": refs}
                a node is {"layer": index, "args", "kwargs"}; a tensor is {"__tensor__": [node, index]}
                (node -1: the model's inputs)
    subclassed  {"class_name", "config": model.get_config(), "build_shapes"}
"""

from __future__ import annotations

import functools
import inspect
import json
import math

import numpy as np
import optree

from fitspec import activations as core_activations
from fitspec import initializers as core_initializers
from fitspec import losses as core_losses
from fitspec import metrics as core_metrics
from fitspec.errors import invalid_argument
from fitspec.layers.symbolic import Input, SymbolicTensor
from fitspec.saving import registry
from fitspec.saving.registry import CustomObjectScope, registered_name, resolve_class

#: Keras's module of each family of built-in classes: {module: the attribute of the backend's namespace}
BUILTIN_MODULES = {
    "keras.layers": "layers", "keras.losses": "losses", "keras.metrics": "metrics",
    "keras.optimizers": "optimizers", "keras.optimizers.schedules": "optimizers.schedules",
    "keras.initializers": "initializers", "keras.activations": "activations",
}
#: the class names of the models, with their Keras modules
MODEL_MODULES = {"Functional": "keras.src.models.functional", "Sequential": "keras", "Model": "keras"}
#: built-in functions by Keras module (configs from Keras name them so)
BUILTIN_FUNCTIONS = {
    "keras.activations": core_activations.ALL,
    "keras.losses": {**core_losses.FUNCTIONS, **{a: core_losses.FUNCTIONS[n]
                                                 for a, n in core_losses.FUNCTION_ALIASES.items()}},
    "keras.metrics": core_metrics.FUNCTIONS,
}
#: Keras dtype policies fitspec computes exactly: a layer's dtype is one float type
DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")


# -- serializing -----------------------------------------------------------------------------------------
def serialize_keras_object(obj):
    """`obj` as JSON-ready Keras config: numbers, strings and None as they are, lists and dicts by entry, a function
    by its (registered) name, an object with `get_config()` by class and config."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, type):
        raise invalid_argument("serialize_keras_object", "obj", "an instance, a function or a JSON value (not a "
                               "class)", obj)
    if hasattr(obj, "get_config"):
        return _object_config(obj)
    if callable(obj):
        return _function_config(obj)
    raise invalid_argument("serialize_keras_object", "obj", "an object with get_config(), a function or a JSON "
                           "value", obj)


def _builtin_function(fn):
    """(Keras module, name) of a fitspec built-in function (also bound to a backend's ops), else None."""
    inner = getattr(fn, "func", fn)
    for module, table in BUILTIN_FUNCTIONS.items():
        for name, builtin in table.items():
            if inner is builtin and name == builtin.__name__:
                return module, name
    return None


def _function_config(fn) -> dict:
    if registry.is_registered(fn):
        name = registry.get_registered_name(fn)
        return {"module": getattr(fn, "__module__", None), "class_name": "function", "config": name,
                "registered_name": "function"}
    builtin = _builtin_function(fn)
    if builtin is not None:
        return {"module": builtin[0], "class_name": "function", "config": builtin[1], "registered_name": builtin[1]}
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        raise invalid_argument("serialize_keras_object", "obj", "a named function (a lambda or a partial cannot be "
                               "rebuilt from a config: register a function with "
                               "@fs.saving.register_keras_serializable())", fn)
    return {"module": getattr(fn, "__module__", None), "class_name": "function", "config": name,
            "registered_name": "function"}


def _is_builtin_class(cls, family: str) -> bool:
    """Whether `cls` is the backend's bound built-in of that name (not a user subclass of one)."""
    backend = getattr(cls, "backend", None)
    api = getattr(backend, "api", None)
    namespace = api
    for part in family.split("."):
        namespace = getattr(namespace, part, None)
    if namespace is None:
        return cls is core_initializers.ALL.get(cls.__name__) if family == "initializers" else False
    return getattr(namespace, cls.__name__, None) is cls


def _object_config(obj) -> dict:
    from fitspec.layers.layer import Layer
    from fitspec.models.model import Model

    cls = type(obj)
    registered = registry.get_registered_name(cls) if registry.is_registered(cls) else None
    if isinstance(obj, Model):
        config = obj.get_config()
        class_name = cls.__name__
        module = cls.__module__
        if registered is None and obj._graph is not None and class_name == "Model":
            class_name, module, registered = "Functional", MODEL_MODULES["Functional"], "Functional"
        elif registered is None and class_name == "Sequential" and _is_builtin_class(cls, "models"):
            module = MODEL_MODULES["Sequential"]
        if obj._graph is None:
            config = serialize_keras_object(config)
            check_config_is_complete(obj, config)
        out = {"module": module, "class_name": class_name, "config": config, "registered_name": registered}
        shapes = getattr(obj, "_build_shapes", None)
        if obj._graph is None and shapes is not None:
            out["build_config"] = {"input_shape": shapes}
        return out
    module = cls.__module__
    for keras_module, family in BUILTIN_MODULES.items():
        if registered is None and _is_builtin_class(cls, family):
            module = keras_module
            break
    config = serialize_keras_object(obj.get_config())
    if isinstance(obj, Layer):
        check_config_is_complete(obj, config)
    out = {"module": module, "class_name": cls.__name__, "config": config, "registered_name": registered}
    if isinstance(obj, Layer) and obj.built:
        shape = build_input_shape(obj)
        if shape is not None:
            out["build_config"] = {"input_shape": shape}
    return out


def build_input_shape(layer):
    """The input shapes of the layer's first call (batch dimension None), as lists; None if unknown."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if nodes:
        shapes = [list(t.shape) for t in nodes[0].inputs]
        return shapes[0] if len(shapes) == 1 else shapes
    shapes = getattr(layer, "_build_shapes", None)
    if shapes is None:
        return None
    return optree.tree_map(lambda s: [None, *s[1:]], shapes, is_leaf=_is_shape)


#: constructor arguments that a config never holds (Keras drops them too)
_NOT_CONFIG = frozenset({"input_shape", "kwargs", "args", "self"})


def check_config_is_complete(layer, config: dict) -> None:
    """Refuse a layer whose `get_config()` leaves out an argument it was constructed with (at a value other than its
    default) while `from_config` is the default `cls(**config)`: the rebuilt layer would differ, silently."""
    owner = next(klass for klass in type(layer).__mro__ if "from_config" in klass.__dict__)
    if not (owner.__module__.startswith("fitspec.") and owner.__name__ in ("Layer", "Model")):
        return
    given = getattr(layer, "_constructor_arguments", None) or {}
    missing = sorted(k for k in given if k not in config and k not in _NOT_CONFIG
                     and k not in _builtin_arguments(type(layer)))
    if missing:
        raise invalid_argument(
            f"{layer.name}.get_config", "config",
            f"every constructor argument of {type(layer).__name__} given with a value other than its default "
            f"(add {missing} to get_config(), or override from_config)", f"<a config without {missing}>",
        )


@functools.cache
def _builtin_arguments(cls) -> frozenset:
    """The constructor arguments fitspec's own classes declare: their configs hold what they compute with (an
    argument such as `data_format` that takes one value only is left out, as it changes nothing)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None and klass.__module__.startswith("fitspec"):
            names.update(inspect.signature(init).parameters)
    return frozenset(names)


# -- deserializing ---------------------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, api=None, where="deserialize_keras_object",
                             build=True):
    """What `serialize_keras_object` made, rebuilt on `api`'s backend (None: objects that need no backend)."""
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects, api, where, build) for c in config]
    if not isinstance(config, dict):
        raise invalid_argument(where, "config", "a JSON value", config)
    if "class_name" not in config:
        return {k: deserialize_keras_object(v, custom_objects, api, where, build) for k, v in config.items()}
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(inner["value"], custom_objects, api, where, build))
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__keras_tensor__":
        raise invalid_argument(where, "config", "a config outside a Functional model's nodes", "<a keras tensor>")
    if class_name == "function":
        return deserialize_function(config, where, "config", custom_objects=custom_objects)
    if class_name in DTYPE_POLICIES:
        return dtype_policy_name(config, where)
    cls = resolve(config, custom_objects, api, where)
    with CustomObjectScope(custom_objects or {}):
        obj = _from_config(cls, inner if inner is not None else {}, custom_objects, where)
    if build and config.get("build_config") and getattr(obj, "built", True) is False:
        _build_from_config(obj, config["build_config"], where)
    return obj


def _from_config(cls, inner, custom_objects, where):
    from fitspec.models.model import Model

    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return cls(**constructor_config(cls, inner, f"{getattr(cls, '__name__', cls)}.from_config"))
    if isinstance(cls, type) and issubclass(cls, Model):
        return from_config(dict(inner), custom_objects=custom_objects)
    return from_config(dict(inner))


def _build_from_config(obj, build_config, where):
    from fitspec.layers.layer import Layer
    from fitspec.models.model import Model

    shape = build_config.get("input_shape")
    if shape is None or not isinstance(obj, Layer):
        return
    if isinstance(obj, Model) and obj._graph is None:  # a subclassed model builds by running on zeros
        obj(_zeros_like_shapes(shape, obj.dtype), training=False)
        return
    shapes = optree.tree_map(tuple, shape, is_leaf=_is_shape)
    obj.build(shapes)
    obj.built = True


def resolve(config: dict, custom_objects, api, where):
    """The class a Keras object config names: custom objects, scopes and the registry by registered name or class
    name, then the built-ins of its Keras module on `api`'s backend."""
    class_name, registered, module = config["class_name"], config.get("registered_name"), config.get("module")
    backend = api_backend(api) if api is not None else None
    found = registry.lookup([registered, class_name], custom_objects, backend)
    if found is not None:
        return found
    builtins = builtin_classes(api, module, class_name)
    if class_name in builtins:
        return builtins[class_name]
    raise registry.unknown("class", registered or class_name, where)


def builtin_classes(api, module, class_name) -> dict:
    if class_name in MODEL_MODULES and (module is None or module.startswith("keras")):
        if api is None:
            return {}
        return {"Functional": api.Model, "Model": api.Model, "Sequential": api.Sequential}
    family = BUILTIN_MODULES.get(module)
    if family is None:
        return {}
    if family == "initializers":
        return dict(core_initializers.ALL)
    namespace = api
    for part in family.split("."):
        namespace = getattr(namespace, part, None)
    if namespace is None:
        return {}
    return {k: v for k, v in vars(namespace).items() if inspect.isclass(v)}


def deserialize_function(identifier, where, argument, custom_objects=None, builtins=None):
    """A function from its name or its Keras config: custom objects, scopes and the registry, then the built-ins
    (`builtins`, or those of the config's Keras module); anything else is an error naming it."""
    if isinstance(identifier, str):
        name, module = identifier, None
    elif isinstance(identifier, dict) and identifier.get("class_name") == "function" and isinstance(
            identifier.get("config"), str):
        name, module = identifier["config"], identifier.get("module")
    else:
        raise invalid_argument(where, argument, "a function's name or its config {'class_name': 'function', "
                               "'config': name}", identifier)
    found = registry.lookup([name, name.split(">")[-1] if module is None else None], custom_objects)
    if found is not None:
        return found
    table = builtins if builtins is not None else BUILTIN_FUNCTIONS.get(module, {})
    if module is None or module in BUILTIN_FUNCTIONS:
        fn = table.get(name)
        if fn is not None:
            return fn
    if module is None and builtins is not None:
        raise invalid_argument(where, argument, f"one of {sorted(builtins)} or a registered function's name",
                               identifier)
    raise registry.unknown("function", name, where)


def dtype_policy_name(config: dict, where) -> str:
    """The name of a serialized DTypePolicy (docs/SPEC.md 3.6), checked."""
    from fitspec import dtype_policies

    name = dtype_policies.standard_name((config.get("config") or {}).get("name"))
    if name is None or config.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy"):
        raise invalid_argument(where, "dtype", f"a DTypePolicy of {dtype_policies.EXPECTED}", config)
    return name


def constructor_config(cls, config: dict, where: str) -> dict:
    """`config` as keyword arguments of `cls`: Keras dtype policies become their dtype; keys `cls` does not take are
    dropped when they hold None (Keras's "not used", such as `kernel_regularizer: None`), and refused otherwise."""
    config = dict(config)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = dtype_policy_name(config["dtype"], where)
    accepted = accepted_arguments(cls)
    if accepted is None:
        return config
    for key in [k for k in config if k not in accepted]:
        if config[key] is None or (isinstance(config[key], (bool, str, float)) and (key, config[key]) in _NEUTRAL):
            del config[key]
        else:
            raise invalid_argument(where, key, f"only the arguments {cls.__name__} takes ({sorted(accepted)}), or None "
                                   "for one it does not", config[key])
    return config


#: Keras config entries that mean "not used" (or what fitspec always does) with a value other than None
_NEUTRAL = frozenset({("sparse", False), ("ragged", False), ("optional", False), ("synchronized", False),
                      ("data_format", "channels_last"), ("renorm", False), ("renorm_momentum", 0.99),
                      ("rms_scaling", False)})


@functools.cache
def _accepted(cls) -> frozenset | None:
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in parameters
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self")
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return frozenset(names)
    return frozenset(names)


def accepted_arguments(cls) -> frozenset | None:
    """The keyword arguments `cls(...)` takes, down its __init__ chain while each passes **kwargs on; None when
    one takes **kwargs without a base to pass them to (anything goes)."""
    return _accepted(cls)


def constructor_arguments(cls, args, kwargs) -> dict | None:
    """{name: value} of the arguments a constructor call gives explicitly, at values other than their defaults
    (what `check_config_is_complete` requires a config to hold)."""
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    out = {}
    for name, value in list(bound.arguments.items())[1:]:
        parameter = signature.parameters[name]
        if parameter.kind is parameter.VAR_KEYWORD:
            out.update(value)
        elif parameter.kind is parameter.VAR_POSITIONAL:
            continue
        elif not _same(value, parameter.default):
            out[name] = value
    return out


def _same(value, default) -> bool:
    try:
        return value is default or (type(value) is type(default) and bool(value == default))
    except Exception:  # noqa: BLE001 (arrays and objects without a truth value: not the default)
        return False


# -- models ----------------------------------------------------------------------------------------------
def _is_functional(layer) -> bool:
    from fitspec.models.model import Model
    from fitspec.models.sequential import Sequential

    return isinstance(layer, Model) and not isinstance(layer, Sequential) and layer._graph is not None


def functional_config(model) -> dict:
    """Keras 3's config of a Functional model: every layer, in Keras's order (docs/SPEC.md 2.12), with the nodes of
    this model."""
    graph = model._graph
    layers = graph.ordered_layers()
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise invalid_argument(f"{model.name}.get_config", "layers", "layers with unique names in one model",
                               f"<the names {duplicates} more than once>")
    own = {id(node) for node in graph.nodes}
    new_index = {}
    for layer in graph.layers:  # Keras 3.15 numbers a nested model's calls from 0 too (measured)
        kept = 0
        for node in layer._inbound_nodes:
            if id(node) in own:
                new_index[id(node)] = kept
                kept += 1

    def history(tensor):
        if tensor.node is None:
            return [tensor.input_layer.name, 0, 0]
        return [tensor.node.layer.name, new_index[id(tensor.node)], tensor.index]

    def encode(leaf):
        if isinstance(leaf, SymbolicTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(leaf.shape), "dtype": leaf.dtype, "keras_history": history(leaf)}}
        if leaf is None or isinstance(leaf, (bool, int, float, str)):
            return leaf
        raise invalid_argument(f"{model.name}.get_config", "layers", "layer calls whose arguments are tensors or "
                               "JSON constants", leaf)

    configs = []
    for layer in layers:
        config = serialize_keras_object(layer)
        config.pop("build_config", None) if _is_functional(layer) else None
        nodes = [n for n in layer._inbound_nodes if id(n) in own] if layer not in graph.input_layers else []
        config["name"] = layer.name
        config["inbound_nodes"] = [{"args": optree.tree_map(encode, list(n.args), none_is_leaf=True),
                                    "kwargs": optree.tree_map(encode, dict(n.kwargs), none_is_leaf=True)}
                                   for n in nodes]
        configs.append(config)
    return {
        "name": model.name, "trainable": model.trainable, "layers": configs,
        "input_layers": optree.tree_map(history, graph.inputs),
        "output_layers": optree.tree_map(history, graph.outputs),
    }


def _call_kwargs(layer, kwargs: dict) -> dict:
    """A node's keyword arguments, less the None ones the layer's call does not take (Keras records `mask: None`)."""
    parameters = inspect.signature(layer.call).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if v is not None or k in parameters or k == "training"}


class _NotReadyError(Exception):
    """A node whose inputs another node has not produced yet."""


def functional_from_config(cls, config: dict, custom_objects=None, where="Model.from_config"):
    """A Functional model of class `cls` (on its backend) from `functional_config(...)` or Keras 3's."""
    api = cls.backend.api
    created, outputs, pending = {}, {}, {}
    for layer_data in config["layers"]:
        name = layer_data.get("name") or layer_data["config"]["name"]
        layer = deserialize_keras_object(layer_data, custom_objects, api, where, build=False)
        if not hasattr(layer, "_inbound_nodes"):
            raise invalid_argument(where, "config", f"a layer for the entry {name!r}", layer)
        if name in created:
            raise invalid_argument(where, "config", "layers with unique names", f"<{name!r} twice>")
        created[name] = layer
        outputs[name] = [[layer.output]] if type(layer).__name__ == "InputLayer" else []
        pending[name] = list(layer_data.get("inbound_nodes") or [])

    def tensor(history):
        if not (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)):
            raise invalid_argument(where, "config", "tensor references [layer name, node index, tensor index]",
                                   history)
        name, node, index = history
        if name not in outputs:
            raise invalid_argument(where, "config", "references to the model's layers", f"<the layer {name!r}>")
        if node >= len(outputs[name]):
            raise _NotReadyError
        return outputs[name][node][index]

    def decode(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            return tensor(x["config"]["keras_history"])
        if isinstance(x, dict) and x.get("class_name") == "__tuple__":
            return tuple(decode(v) for v in x["config"]["value"])
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    while any(pending.values()):
        progressed = False
        for name, nodes in pending.items():
            while nodes:
                node = nodes[0]
                if not isinstance(node, dict) or set(node) - {"args", "kwargs"}:
                    raise invalid_argument(where, "config", "inbound nodes {'args', 'kwargs'} (Keras 3's form)", node)
                try:
                    args, kwargs = decode(node.get("args", [])), decode(node.get("kwargs", {}))
                except _NotReadyError:
                    break
                result = created[name](*args, **_call_kwargs(created[name], kwargs))
                outputs[name].append(optree.tree_leaves(result))
                nodes.pop(0)
                progressed = True
        if not progressed:
            left = {name: len(nodes) for name, nodes in pending.items() if nodes}
            raise invalid_argument(where, "config", "a graph without loops or missing layers",
                                   f"<nodes of {left} that never get their inputs>")

    def structure(x):
        if isinstance(x, list) and len(x) == 3 and isinstance(x[0], str):
            return tensor(x)
        if isinstance(x, dict):
            return {k: structure(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [structure(v) for v in x]
        raise invalid_argument(where, "config", "input_layers and output_layers of tensor references", x)

    inputs, model_outputs = structure(config["input_layers"]), structure(config["output_layers"])
    extra = {k: v for k, v in config.items() if k not in ("layers", "input_layers", "output_layers")}
    extra = constructor_config(cls, extra, where)
    return cls(inputs=inputs, outputs=model_outputs, **extra)


def model_config(model) -> dict:
    """What `model.save` stores as the architecture: the model's Keras object config."""
    return serialize_keras_object(model)


def build_model(config: dict, api, custom_objects=None, where="load_model"):
    """A new, built model on `api`'s backend from `model_config(...)` (or a fitspec 0.1 file's legacy config)."""
    if "module" in config or "registered_name" in config:
        model = deserialize_keras_object(config, custom_objects, api, where)
        if not isinstance(model, api.Model):
            raise invalid_argument(where, "filepath", "the config of a model", f"<a {type(model).__name__}>")
        return model
    return build_legacy_model(config, api, custom_objects, where)


def to_json(model, **kwargs) -> str:
    return json.dumps(serialize_keras_object(model), **kwargs)


def model_from_json(api, json_string, custom_objects=None):
    """`fs.models.model_from_json`: the model `model.to_json()` describes, with new weights."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError):
        raise invalid_argument("model_from_json", "json_string", "a JSON string from model.to_json()",
                               json_string) from None
    return deserialize_keras_object(config, custom_objects, api, "model_from_json")


#: the most numbers one sample of a model's inputs may hold in a config that is loaded: building the model
#: runs each layer once on zeros of that shape, which a file alone must not make arbitrarily large
MAX_INPUT_VALUES = 2**26


def _config_input_shapes(config) -> list:
    """Every input shape a Keras-form config builds on (InputLayers, build configs), nested models included."""
    shapes = []

    def walk(x):
        if isinstance(x, dict):
            if x.get("class_name") == "InputLayer" and isinstance(x.get("config"), dict):
                shape = x["config"].get("batch_shape")
                shapes.append(shape[1:] if isinstance(shape, list) else shape)
            build = x.get("build_config")
            if isinstance(build, dict):  # shapes with their batch dimension
                shapes.extend(s[1:] if isinstance(s, list) else s for s in optree.tree_leaves(
                    build.get("input_shape"), is_leaf=_is_shape, none_is_leaf=False))
            if isinstance(x.get("build_input_shape"), list):
                shapes.append(x["build_input_shape"][1:])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(config)
    return [s for s in shapes if s is not None]


def check_input_sizes(config: dict, contents) -> None:
    """Refuse (`contents.refuse`) a config whose inputs would build on more than MAX_INPUT_VALUES per sample."""
    if "module" in config or "registered_name" in config:
        shapes = _config_input_shapes(config)
    elif config.get("class_name") == "Sequential":
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


# -- the legacy form (fitspec 0.1 files) -------------------------------------------------------------------
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


def build_legacy_model(config: dict, api, custom_objects=None, where="load_model"):
    """A new, built model on `api`'s backend from a fitspec 0.1 config."""
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
        return {"function": _function_name(obj)}
    if isinstance(obj, core_losses.LossFunctionWrapper) and type(obj).__name__ == "LossFunctionWrapper":
        return {"function": _function_name(obj.fn), "name": obj.name}
    if isinstance(obj, core_metrics.MeanMetricWrapper) and type(obj).__name__ == "MeanMetricWrapper":
        return {"function": _function_name(obj._fn), "name": obj.name}
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
        fn = registry.lookup([fn_name, fn_name.split(">")[-1]], custom_objects) or getattr(namespace, fn_name, None)
        if fn is None:
            raise invalid_argument(where, "custom_objects", f"the function {fn_name!r} named by the saved compile "
                                   f"arguments: pass custom_objects={{{fn_name!r}: {fn_name}}}", "<unknown>")
        return wrap(fn, config.get("name")) if wrap and "name" in config else fn
    builtins = {k: v for k, v in vars(namespace).items() if inspect.isclass(v)}
    cls = resolve_class(config["class_name"], builtins, custom_objects, api_backend_of(namespace), where)
    from_config = getattr(cls, "from_config", None)
    return from_config(dict(config["config"])) if from_config else cls(**config["config"])


def _function_name(fn) -> str:
    """A compile argument's function by its registered name (`package>name`), else its `__name__`."""
    if registry.is_registered(fn):
        return registry.get_registered_name(fn)
    return getattr(fn, "__name__", repr(fn))


def api_backend_of(namespace):
    for value in vars(namespace).values():
        if inspect.isclass(value) and getattr(value, "backend", None) is not None:
            return value.backend
    return None

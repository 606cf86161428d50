"""Builds a backend package's public namespace once, from the core and what the backend declares.

Every core class that computes gets a subclass bound to the backend (above a base that carries the
`backend` class attribute, so `class MyLayer(fs.layers.Layer)` works); per-sample functions get the
backend's ops bound. A backend adds or replaces entries by declaring them (`Backend.namespace`): a
declared class is bound as the core's classes of its module are; a declared function of the bound
classes returns classes built on them (a backend's fast path above each). Each module is registered in
`sys.modules` as it is built (`from fitspec_torch.layers import Dense`) and not changed afterwards.
"""

from __future__ import annotations

import functools
import sys
import types

from fitspec import (
    activations,
    array_utils,
    callbacks,
    config_options,
    constraints,
    data,
    data_utils,
    datasets,
    debug_limits,
    distribution,
    dtype_policies,
    initializers,
    losses,
    metrics,
    namespace_remnants,
    optimizers,
    regularizers,
    saving,
    schedules,
    seeding,
)
from fitspec import layers as core_layers
from fitspec.errors import invalid_argument
from fitspec.layers.input_spec import InputSpec
from fitspec.layers.symbolic import Input, SymbolicTensor
from fitspec.losses import Loss as CoreLoss
from fitspec.metrics import Metric as CoreMetric
from fitspec.metrics import lookup as metric_lookup
from fitspec.models import configs as model_configs
from fitspec.models.model import Model as CoreModel
from fitspec.models.sequential import Sequential as CoreSequential
from fitspec.optimizers import Optimizer as CoreOptimizer
from fitspec.optimizers import serialization as optimizer_serialization
from fitspec.py_dataset import PyDataset
from fitspec.variables import StatelessScope

#: the names a backend package exports, in the shape of the `keras` namespace.
NAMESPACE = ("Model", "Sequential", "Input", "Variable", "layers", "losses", "metrics", "optimizers", "activations",
             "initializers", "callbacks", "models", "config", "utils", "ops", "saving", "random", "datasets",
             "StatelessScope", "distribution", "regularizers", "constraints", "dtype_policies", "mixed_precision",
             "DTypePolicy", "FloatDTypePolicy",
             "Layer", "Loss", "Metric", "Optimizer", "Initializer", "KerasTensor", "InputSpec")
#: module -> (the name of its bound base class, the core base) for the modules whose classes compute; the layers'
#: base is the backend's `layer_class`.
BOUND_MODULES = {
    "layers": ("Layer", None),
    "metrics": ("Metric", CoreMetric),
    "losses": ("Loss", CoreLoss),
    "optimizers": ("Optimizer", CoreOptimizer),
    "optimizers.schedules": ("LearningRateSchedule", schedules.LearningRateSchedule),
    "regularizers": ("Regularizer", regularizers.Regularizer),
    "constraints": ("Constraint", constraints.Constraint),
}
#: the modules a backend may declare entries in (`fs.random` is the backend's own, from `random_module`).
DECLARABLE = (*BOUND_MODULES, "activations", "initializers", "callbacks", "models", "saving", "config", "utils",
              "datasets")


def _subclass(cls, base, module: str):
    return type(cls.__name__, (cls, base), {"__module__": module, "__qualname__": cls.__name__})


def _bound_family(classes: dict, base, module: str) -> dict:
    """{name: bound class}: each class bound once (an alias names the same bound class) and bound on top of its
    nearest bound ancestor, so that the bound classes keep the core's hierarchy (`fs.layers.LSTM` is a subclass of
    `fs.layers.RNN`, as in Keras)."""
    members = {id(cls): cls for cls in classes.values()}
    done: dict[int, type] = {}

    def bound_class(cls):
        if id(cls) not in done:
            parent = next((c for c in cls.__mro__[1:] if id(c) in members), None)
            done[id(cls)] = _subclass(cls, base if parent is None else bound_class(parent), module)
        return done[id(cls)]

    return {name: bound_class(cls) for name, cls in classes.items()}


def _bind_function(fn, ops, module: str):
    bound = functools.partial(fn, ops)
    functools.update_wrapper(bound, fn)
    bound.__module__ = module
    return bound


def _module(name: str, attributes: dict) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    module.__all__ = sorted(k for k in attributes if not k.startswith("_"))
    sys.modules[name] = module
    return module


def declarations(backend) -> dict[str, dict]:
    """The backend's `namespace` declaration, checked: {module: {name: class or function}}; a module whose classes
    are bound (BOUND_MODULES) may instead have `refine(bound) -> {name: class}`, given its bound classes as
    attributes, whose classes replace them."""
    where = f"{type(backend).__name__}.namespace"
    declared = dict(backend.namespace)
    for module, entries in declared.items():
        if module not in DECLARABLE:
            raise invalid_argument(where, "module", f"one of {DECLARABLE}", module)
        if callable(entries) and module in BOUND_MODULES:
            continue
        if not isinstance(entries, dict) or not all(isinstance(name, str) for name in entries):
            raise invalid_argument(where, module, "a dict {name: class or function}, or for a module of bound classes "
                                   "a function of them", entries)
    return declared


def export(api: types.SimpleNamespace, namespace: dict) -> list[str]:
    """Put `api`'s Keras namespace into a backend package's module `namespace`; return the names (for __all__)."""
    names = [name for name in NAMESPACE if hasattr(api, name)]
    namespace.update({name: getattr(api, name) for name in names})
    return names


def bind(backend, package: str) -> types.SimpleNamespace:
    """The public API of `package` (e.g. "fitspec_numpy") on `backend`: the core's, with the backend's declarations."""
    ops, declared = backend.ops, declarations(backend)
    api = types.SimpleNamespace()
    backend.api = api

    def bound(module: str, core_classes: dict) -> dict:
        """The module's base and every class (the core's, then the declared ones), bound to the backend."""
        base_name, core_base = BOUND_MODULES[module]
        base = type(base_name, (core_base or backend.layer_class,),
                    {"backend": backend, "__module__": f"{package}.{module}", "__qualname__": base_name})
        declaration = declared.get(module, {})
        classes = {**core_classes, **{n: c for n, c in dict(declaration if not callable(declaration) else {}).items()
                                      if isinstance(c, type)}}
        out = {base_name: base, **_bound_family(classes, base, f"{package}.{module}")}
        return {**out, **declaration(types.SimpleNamespace(**out))} if callable(declaration) else out

    def functions(module: str, core_functions: dict) -> dict:
        """Per-sample functions with the backend's ops bound."""
        return {name: _bind_function(fn, ops, f"{package}.{module}") for name, fn in core_functions.items()}

    def module(name: str, entries: dict) -> types.ModuleType:
        """The module of `entries` and the declared entries (as they are, but classes `bound` has bound)."""
        declaration = declared.get(name, {})
        own = {n: e for n, e in dict(declaration if not callable(declaration) else {}).items()
               if not (name in BOUND_MODULES and isinstance(e, type))}
        return _module(f"{package}.{name}", {**entries, **own})

    layers = bound("layers", core_layers.CLASSES)

    def concatenate(inputs, axis=-1, **kwargs):
        """`fs.layers.concatenate([a, b])`: a Concatenate layer called on `inputs`."""
        return layers["Concatenate"](axis=axis, **kwargs)(inputs)

    api.layers = module("layers", {"Input": Input, **layers, "concatenate": concatenate,
                                   **core_layers.merging.functional_forms(layers),
                                   "InputSpec": InputSpec, **model_configs.layer_functions(api),
                                   **{alias: layers[name] for alias, name in core_layers.ALIASES.items()}})
    api.metrics = module("metrics", {
        **bound("metrics", {**metrics.CLASSES, "MeanMetricWrapper": metrics.MeanMetricWrapper}),
        **functions("metrics", metrics.FUNCTIONS),
        "get": lambda identifier: metric_lookup.get(api, identifier),
        "serialize": metric_lookup.serialize,
        "deserialize": lambda config, custom_objects=None: metric_lookup.deserialize(api, config, custom_objects),
    })
    loss_functions = functions("losses", losses.FUNCTIONS)
    loss_functions.update({alias: loss_functions[name] for alias, name in losses.FUNCTION_ALIASES.items()})
    api.losses = module("losses", {
        **bound("losses", {**losses.CLASSES, "LossFunctionWrapper": losses.LossFunctionWrapper}), **loss_functions,
        "get": lambda identifier: losses.get(identifier, api.losses), "serialize": losses.serialize,
        "deserialize": lambda config, custom_objects=None: losses.deserialize(config, api.losses, custom_objects),
    })
    api.optimizers = module("optimizers", {
        **bound("optimizers", {**optimizers.CLASSES, **optimizers.ROUTING}),
        "OptimizerMap": type("OptimizerMap", (optimizers.OptimizerMap,), {"backend": backend}),  # not an Optimizer
        **optimizer_serialization.optimizer_functions(api),
        "schedules": module("optimizers.schedules", {**bound("optimizers.schedules", schedules.CLASSES),
                                                     **optimizer_serialization.schedule_functions(api)}),
    })
    activation_functions = functions("activations", activations.ALL)
    api.activations = module("activations", {
        **activation_functions, **{alias: activation_functions[name] for alias, name in activations.ALIASES.items()},
        "get": lambda identifier: activations.get(identifier, ops), "serialize": activations.serialize,
        "deserialize": lambda config, custom_objects=None: activations.deserialize(config, ops, custom_objects),
    })
    api.initializers = module("initializers", initializers.NAMESPACE)
    api.regularizers = module("regularizers", regularizers.namespace(
        bound("regularizers", regularizers.CLASSES), "regularizers", "Regularizer", regularizers.STRING_NAMES,
        regularizers.ALIASES))
    api.constraints = module("constraints", regularizers.namespace(
        bound("constraints", constraints.CLASSES), "constraints", "Constraint", constraints.STRING_NAMES,
        constraints.ALIASES))
    api.callbacks = module("callbacks", {name: getattr(callbacks, name) for name in callbacks.__all__})
    model = type("Model", (backend.trainer_class, CoreModel, api.layers.Layer),
                 {"__module__": f"{package}.models", "__qualname__": "Model"})

    def load_model(filepath, custom_objects=None, compile=True):
        """`fs.models.load_model`: a model saved by any backend, rebuilt on this one."""
        return saving.load_model(api, filepath, custom_objects=custom_objects, compile=compile)

    api.models = module("models", {"Model": model, "Sequential": _subclass(CoreSequential, model, f"{package}.models"),
                                   "load_model": load_model, **model_configs.model_functions(api)})
    api.saving = module("saving", {
        "load_model": load_model, "register_serializable": saving.register_serializable,
        **model_configs.saving_functions(api),
    })
    api.config = module("config", {"floatx": backend.floatx, "set_floatx": backend.set_floatx,
                                   "available_devices": backend.available_devices, "use_device": backend.use_device,
                                   "backend": lambda: backend.name,
                                   "image_data_format": config_options.image_data_format,
                                   "set_image_data_format": config_options.set_image_data_format,
                                   **_dtype_policy_modules(api, backend, package, module),
                                   **config_options.backend_options(backend), **debug_limits.entries()})
    api.utils = module("utils", {
        "set_random_seed": seeding.set_random_seed,
        "unpack_x_y_sample_weight": data.unpack_x_y_sample_weight,
        "pack_x_y_sample_weight": data.pack_x_y_sample_weight,
        "PyDataset": PyDataset, "Sequence": PyDataset,
        **functions("utils", {"to_categorical": array_utils.to_categorical, "normalize": array_utils.normalize}),
        "pad_sequences": array_utils.pad_sequences,
        "clear_session": config_options.clear_session,
        **model_configs.utils_functions(api),
        **config_options.utils_entries(backend, package),
        "split_dataset": data_utils.split_dataset,
        "timeseries_dataset_from_array": data_utils.timeseries_dataset_from_array,
        **namespace_remnants.utils_entries(backend),
    })
    api.datasets = module("datasets", {"mnist": datasets.mnist, "digits": datasets.digits})
    api.distribution = _module(f"{package}.distribution", distribution.namespace(backend, package))
    api.ops = ops
    if getattr(backend, "random_module", None) is not None:
        api.random = backend.random_module(api)
    api.Model, api.Sequential, api.Input, api.Variable = model, api.models.Sequential, Input, backend.Variable
    api.Layer = api.layers.Layer
    api.Loss, api.Metric, api.Optimizer = api.losses.Loss, api.metrics.Metric, api.optimizers.Optimizer
    api.Initializer, api.KerasTensor, api.InputSpec = initializers.Initializer, SymbolicTensor, InputSpec
    api.StatelessScope = StatelessScope
    return api


def _dtype_policy_modules(api, backend, package: str, module) -> dict:
    """`fs.dtype_policies` and `fs.mixed_precision` (set on `api`, with the top-level policy classes); returns
    `fs.config`'s `dtype_policy` / `set_dtype_policy` (docs/SPEC.md 3.4)."""
    where = f"{package}.dtype_policies"
    policy_class = type("DTypePolicy", (dtype_policies.DTypePolicy,),
                        {"backend": backend, "__module__": where, "__qualname__": "DTypePolicy"})
    float_policy = type("FloatDTypePolicy", (dtype_policies.FloatDTypePolicy, policy_class),
                        {"__module__": where, "__qualname__": "FloatDTypePolicy"})

    def dtype_policy():
        """The global dtype policy of this backend."""
        return policy_class()

    def set_dtype_policy(policy):
        """Set this backend's global dtype policy (a DTypePolicy or its name; None: floatx's)."""
        dtype_policies.set_global_policy(backend, policy)

    api.dtype_policies = module("dtype_policies", {
        "DTypePolicy": policy_class, "FloatDTypePolicy": float_policy,
        "get": lambda identifier: dtype_policies.get(api, identifier), "serialize": dtype_policies.serialize,
        "deserialize": lambda config, custom_objects=None: dtype_policies.deserialize(api, config, custom_objects)})
    api.mixed_precision = module("mixed_precision", {
        "DTypePolicy": policy_class, "Policy": policy_class, "LossScaleOptimizer": api.optimizers.LossScaleOptimizer,
        "dtype_policy": dtype_policy, "global_policy": dtype_policy, "set_dtype_policy": set_dtype_policy,
        "set_global_policy": set_dtype_policy})
    api.DTypePolicy, api.FloatDTypePolicy = policy_class, float_policy
    return {"dtype_policy": dtype_policy, "set_dtype_policy": set_dtype_policy}


__all__ = ["bind", "declarations", "export"]

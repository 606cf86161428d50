"""Builds a backend package's public namespace from the core: `fs.layers.Dense`, `fs.losses.get`, ...

Every core class that computes gets a subclass bound to the backend (the `backend` class
attribute), placed above the backend's own base so that `class MyLayer(fs.layers.Layer)` works;
per-sample functions get the backend's ops bound. The result mirrors the `keras` namespace.
"""

from __future__ import annotations

import functools
import sys
import types

from fitspec import (
    activations,
    callbacks,
    data,
    datasets,
    initializers,
    losses,
    metrics,
    optimizers,
    saving,
    schedules,
    seeding,
)
from fitspec import layers as core_layers
from fitspec.compile_utils import get_loss, get_optimizer
from fitspec.layers.layer import Layer as CoreLayer
from fitspec.layers.symbolic import Input
from fitspec.losses import Loss as CoreLoss
from fitspec.metrics import Metric as CoreMetric
from fitspec.models.model import Model as CoreModel
from fitspec.models.sequential import Sequential as CoreSequential
from fitspec.optimizers import Optimizer as CoreOptimizer
from fitspec.py_dataset import PyDataset
from fitspec.variables import StatelessScope


def _subclass(cls, base, module):
    return type(cls.__name__, (cls, base), {"__module__": module, "__qualname__": cls.__name__})


def _bind_function(fn, ops, module):
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


#: the names a backend package exports, in the shape of the `keras` namespace.
NAMESPACE = ("Model", "Sequential", "Input", "Variable", "layers", "losses", "metrics", "optimizers", "activations",
             "initializers", "callbacks", "models", "config", "utils", "ops", "saving", "random", "datasets",
             "StatelessScope")


def export(api: types.SimpleNamespace, namespace: dict) -> list[str]:
    """Put `api`'s Keras namespace into a backend package's module `namespace`; return the names (for __all__)."""
    names = [name for name in NAMESPACE if hasattr(api, name)]
    namespace.update({name: getattr(api, name) for name in names})
    return names


def bind(backend, package: str) -> types.SimpleNamespace:
    """The public API of `package` (e.g. "fitspec_numpy") on `backend`."""
    ops = backend.ops
    layer = type("Layer", (backend.layer_class,), {"backend": backend, "__module__": f"{package}.layers"})
    bound_layers = {name: _subclass(cls, layer, f"{package}.layers") for name, cls in core_layers.CLASSES.items()}
    model = type("Model", (backend.trainer_class, CoreModel, layer),
                 {"__module__": f"{package}.models", "__qualname__": "Model"})
    sequential = _subclass(CoreSequential, model, f"{package}.models")

    metric = type("Metric", (CoreMetric,), {"backend": backend, "__module__": f"{package}.metrics"})
    bound_metrics = {name: _subclass(cls, metric, f"{package}.metrics")
                     for name, cls in {**metrics.CLASSES, "MeanMetricWrapper": metrics.MeanMetricWrapper}.items()}
    metric_functions = {name: _bind_function(fn, ops, f"{package}.metrics") for name, fn in metrics.FUNCTIONS.items()}

    loss = type("Loss", (CoreLoss,), {"backend": backend, "__module__": f"{package}.losses"})
    bound_losses = {name: _subclass(cls, loss, f"{package}.losses")
                    for name, cls in {**losses.CLASSES, "LossFunctionWrapper": losses.LossFunctionWrapper}.items()}
    loss_functions = {name: _bind_function(fn, ops, f"{package}.losses") for name, fn in losses.FUNCTIONS.items()}
    loss_functions.update({alias: loss_functions[name] for alias, name in losses.FUNCTION_ALIASES.items()})

    optimizer = type("Optimizer", (CoreOptimizer,), {"backend": backend, "__module__": f"{package}.optimizers"})
    schedule = type("LearningRateSchedule", (schedules.LearningRateSchedule,),
                    {"backend": backend, "__module__": f"{package}.optimizers.schedules"})
    bound_schedules = {name: _subclass(cls, schedule, f"{package}.optimizers.schedules")
                       for name, cls in schedules.CLASSES.items()}
    bound_optimizers = {name: _subclass(cls, optimizer, f"{package}.optimizers")
                        for name, cls in optimizers.CLASSES.items()}

    api = types.SimpleNamespace()
    backend.api = api
    def concatenate(inputs, axis=-1, **kwargs):
        """`fs.layers.concatenate([a, b])`: a Concatenate layer called on `inputs`."""
        return bound_layers["Concatenate"](axis=axis, **kwargs)(inputs)

    api.layers = _module(f"{package}.layers", {"Layer": layer, "Input": Input, **bound_layers,
                                               "concatenate": concatenate})
    api.metrics = _module(f"{package}.metrics", {"Metric": metric, **bound_metrics, **metric_functions})
    api.losses = _module(f"{package}.losses", {
        "Loss": loss, **bound_losses, **loss_functions,
        "get": lambda identifier: get_loss(identifier, api, where="losses.get", argument="identifier"),
    })
    api.optimizers = _module(f"{package}.optimizers", {
        "Optimizer": optimizer, **bound_optimizers, "get": lambda identifier: get_optimizer(identifier, api),
        "schedules": _module(f"{package}.optimizers.schedules",
                             {"LearningRateSchedule": schedule, **bound_schedules}),
    })
    api.activations = _module(f"{package}.activations", {
        **{name: _bind_function(fn, ops, f"{package}.activations") for name, fn in activations.ALL.items()},
        "get": lambda identifier: activations.get(identifier, ops),
    })
    api.initializers = _module(f"{package}.initializers", {**initializers.ALL, "get": initializers.get})
    api.callbacks = _module(f"{package}.callbacks", {name: getattr(callbacks, name) for name in callbacks.__all__})
    load = lambda filepath, custom_objects=None, compile=True: saving.load_model(  # noqa: A006
        api, filepath, custom_objects=custom_objects, compile=compile)
    api.models = _module(f"{package}.models", {"Model": model, "Sequential": sequential, "load_model": load})
    api.saving = _module(f"{package}.saving", {
        "load_model": load, "register_serializable": saving.register_serializable,
        "register_keras_serializable": saving.register_serializable,
    })
    api.config = _module(f"{package}.config", {"floatx": backend.floatx, "set_floatx": backend.set_floatx})
    api.utils = _module(f"{package}.utils", {
        "set_random_seed": seeding.set_random_seed,
        "unpack_x_y_sample_weight": data.unpack_x_y_sample_weight,
        "pack_x_y_sample_weight": data.pack_x_y_sample_weight,
        "PyDataset": PyDataset,
    })
    api.datasets = _module(f"{package}.datasets", {"mnist": datasets.mnist, "digits": datasets.digits})
    api.ops = ops
    if getattr(backend, "random_module", None) is not None:
        api.random = backend.random_module(api)
    api.Model, api.Sequential, api.Input, api.Variable = model, sequential, Input, backend.Variable
    api.Layer = layer
    api.StatelessScope = StatelessScope
    return api


__all__ = ["bind", "CoreLayer"]

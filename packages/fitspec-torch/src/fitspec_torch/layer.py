"""`TorchLayer`: the base of every fitspec_torch layer and Model, a `torch.nn.Module`; and `TorchModuleWrapper`.

Registration, so that `parameters()`, `state_dict()`, `.to(device)`, `zero_grad()` and
`train()` / `eval()` behave as torch users expect:
  - each weight's Parameter is registered on the layer that owns it, under the weight's name
    (`dense.kernel`, `dense.bias` in a state_dict); the attribute (`layer.kernel`) stays the Variable;
  - each tracked sublayer is a submodule: under its attribute name when assigned as one, under its
    layer name when it comes from a functional graph or a Sequential stack;
  - a plain `nn.Module` or `nn.Parameter` assigned to a layer stays what it is for torch, and its
    Parameters also become the layer's weights (Variables sharing the Parameter), so fit() trains them.
A Parameter assigned later in place of a weight (`layer.kernel = nn.Parameter(...)`,
`load_state_dict(..., assign=True)`) becomes that weight's storage; `check_parameters` compares
every weight with the Parameter registered for it before fit / evaluate / predict.
"""

from __future__ import annotations

import re

import torch

import fitspec
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer as CoreLayer
from fitspec.layers.layer import TrackedDict, tracking_version
from fitspec_torch.ops import to_torch_dtype
from fitspec_torch.variables import weights_changed, weights_version


def _module_key(name: str) -> str:
    """A valid nn.Module attribute name from a layer or variable name."""
    key = re.sub(r"[^0-9A-Za-z_]", "_", str(name)) or "_"
    return key if not key[0].isdigit() else f"_{key}"


class _SubmoduleRegistry(TrackedDict):
    """`Layer._tracked_layers` that mirrors every tracked sublayer into the owner's `nn.Module._modules`."""

    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._owner._register_sublayers()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._owner._register_sublayers()

    def pop(self, key, *default):
        had = key in self
        out = super().pop(key, *default)
        if had:
            self._owner._register_sublayers()
        return out

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._owner._register_sublayers()

    def setdefault(self, key, default=None):
        out = super().setdefault(key, default)
        self._owner._register_sublayers()
        return out

    def clear(self):
        super().clear()
        self._owner._register_sublayers()


class _ModuleAttributes(torch.nn.Module):
    """Where an attribute is stored, once fitspec's `Layer.__setattr__` has tracked it.

    Sits between fitspec's Layer and nn.Module in the MRO: Variables are plain attributes (their
    Parameter is registered separately), modules and Parameters follow nn.Module's rules, and a
    plain value may replace a sublayer or shadow a weight's key, as in Keras.
    """

    def __setattr__(self, name, value):
        if "_param_keys" not in self.__dict__:  # inside TorchLayer.__init__: plain nn.Module
            return torch.nn.Module.__setattr__(self, name, value)
        if name == "trainable":
            weights_changed()
        if name in self._torch_modules:
            self._untrack_torch_module(name)
        if isinstance(value, fitspec.Variable):
            if name in self._modules:
                self._drop_module(name)
            object.__setattr__(self, name, value)
            return
        if isinstance(value, torch.nn.Parameter):
            current = self.__dict__.get(name)
            if isinstance(current, fitspec.Variable) and id(current) in self._param_keys:
                self._adopt(current, value)  # `layer.kernel = nn.Parameter(...)` replaces the weight's storage
                return
            variable = self._param_key_variable(name)
            if variable is not None:
                self._adopt(variable, value)  # `load_state_dict(..., assign=True)` sets the registered key
                return
            torch.nn.Module.__setattr__(self, name, value)
            self._track_torch_parameter(name, value)
            return
        if isinstance(value, torch.nn.Module):
            torch.nn.Module.__setattr__(self, name, value)
            if not isinstance(value, CoreLayer):
                self._track_torch_module(name, value)
            return
        if value is not None and name in self._modules:
            self._drop_module(name)
        if value is not None and name in self._parameters:
            object.__setattr__(self, name, value)  # shadows the key; the Parameter stays registered
            return
        torch.nn.Module.__setattr__(self, name, value)


class TorchLayer(CoreLayer, _ModuleAttributes):
    """fitspec's Layer as a torch.nn.Module."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "_param_keys", {})  # id(variable) -> its key in self._parameters
        object.__setattr__(self, "_torch_params", {})  # id(variable) -> (module, attribute) holding its Parameter
        object.__setattr__(self, "_torch_modules", {})  # attribute -> the Variables made for that nn.Module
        object.__setattr__(self, "_registry_keys", set())  # keys of self._modules mirrored from _tracked_layers
        tracked = _SubmoduleRegistry(self)
        dict.update(tracked, self._tracked_layers)
        object.__setattr__(self, "_tracked_layers", tracked)
        self._register_sublayers()

    # -- weights ---------------------------------------------------------------------------------------
    def _track_variable(self, variable) -> None:
        super()._track_variable(variable)
        weights_changed()
        if id(variable) in self._param_keys or id(variable) in self._torch_params:
            return
        key = base = _module_key(variable.name)
        i = 0
        while key in self._parameters or key in self._modules or key in self._buffers:
            i += 1
            key = f"{base}_{i}"
        self._parameters[key] = variable.value
        self._param_keys[id(variable)] = key

    @property
    def trainable_weights(self) -> list:
        """The core's list, kept until the tree's layers, weights or trainable flags change (it is read on every
        training step). A tree where some layer defines its own `trainable_weights` is walked every time."""
        key = (tracking_version(), weights_version())
        cached = self.__dict__.get("_trainable_weights")
        if cached is not None and cached[0] == key:
            return list(cached[1])
        weights = CoreLayer.trainable_weights.fget(self)
        if all(type(layer).trainable_weights is TorchLayer.trainable_weights for layer in self._flatten_layers()):
            self.__dict__["_trainable_weights"] = (key, tuple(weights))  # no attribute tracking: set per step
        return weights

    trainable_variables = trainable_weights

    def _param_key_variable(self, key):
        for variable in self._own_variables:
            if self._param_keys.get(id(variable)) == key:
                return variable
        return None

    def _adopt(self, variable, parameter: torch.nn.Parameter) -> None:
        """A Parameter assigned in place of `variable` becomes its storage (its shape is checked before fit)."""
        variable._storage = parameter
        variable.trainable = variable.trainable
        self._parameters[self._param_keys[id(variable)]] = parameter

    def _track_torch_parameter(self, name: str, parameter: torch.nn.Parameter) -> None:
        variable = self.backend.Variable(parameter, trainable=parameter.requires_grad, name=name,
                                         path=f"{self.name}/{name}")
        self._own_variables.append(variable)
        self._param_keys[id(variable)] = name
        weights_changed()

    def _track_torch_module(self, name: str, module: torch.nn.Module) -> None:
        """The Parameters of a plain nn.Module attribute become this layer's weights (shared, not copied)."""
        known = {id(v.value): v for layer in self._flatten_layers() for v in layer._own_variables}
        made = []
        for pname, parameter in module.named_parameters():
            if id(parameter) in known:
                continue
            variable = self.backend.Variable(parameter, trainable=parameter.requires_grad,
                                             name=f"{name}.{pname}", path=f"{self.name}/{name}.{pname}")
            owner_name, _, attr = pname.rpartition(".")
            self._torch_params[id(variable)] = (module.get_submodule(owner_name) if owner_name else module, attr)
            self._own_variables.append(variable)
            known[id(parameter)] = variable
            made.append(variable)
        self._torch_modules[name] = made
        weights_changed()

    def _untrack_torch_module(self, name: str) -> None:
        gone = {id(v) for v in self._torch_modules.pop(name)}
        self._own_variables[:] = [v for v in self._own_variables if id(v) not in gone]
        weights_changed()
        for key in gone:
            self._torch_params.pop(key, None)

    def _registered_tensor(self, variable):
        """The Parameter torch holds for `variable` now (None for a variable this layer does not register)."""
        key = self._param_keys.get(id(variable))
        if key is not None:
            return self._parameters.get(key)
        owner = self._torch_params.get(id(variable))
        return None if owner is None else owner[0]._parameters.get(owner[1])

    def check_parameters(self, where: str = "fit") -> None:
        """Every weight's registered Parameter is its storage, with the weight's shape; else raise, naming both."""
        for layer in self._flatten_layers():
            if not isinstance(layer, TorchLayer):
                continue
            for variable in layer._own_variables:
                current = layer._registered_tensor(variable)
                if current is None:
                    continue
                if current is not variable._storage:
                    variable._storage = current
                if tuple(current.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"{where}: the parameter of weight '{variable.path}' was replaced with one of the wrong "
                        f"shape: expected shape {tuple(variable.shape)}; received a tensor of shape "
                        f"{tuple(current.shape)}. Assign a tensor of shape {tuple(variable.shape)}, or rebuild the "
                        "layer."
                    )

    # -- sublayers --------------------------------------------------------------------------------------
    def _register_sublayers(self) -> None:
        """Mirror `_tracked_layers` into `_modules`: attribute entries under their name, graph and stack
        layers under their layer name."""
        modules, added = self._modules, self._registry_keys
        for key in added:
            modules.pop(key, None)
        added.clear()
        registered = {id(m) for m in modules.values()}
        for name, entry in dict.items(self._tracked_layers):
            if isinstance(entry, list):
                for layer in entry:
                    if id(layer) in registered:
                        continue
                    key = base = _module_key(layer.name)
                    i = 0
                    while key in modules or key in self.__dict__ or key in self._parameters or hasattr(type(self), key):
                        i += 1
                        key = f"{base}_{i}"
                    modules[key] = layer
                    added.add(key)
                    registered.add(id(layer))
            elif isinstance(entry, torch.nn.Module) and id(entry) not in registered and name not in self.__dict__:
                modules[name] = entry
                added.add(name)
                registered.add(id(entry))

    def _drop_module(self, name: str) -> None:
        """An attribute named like a registered submodule replaces it; a graph layer moves to another key."""
        module = self._modules.pop(name)
        if name in self._registry_keys:
            self._registry_keys.discard(name)
            if any(module is e or (isinstance(e, list) and any(module is m for m in e))
                   for e in dict.values(self._tracked_layers)):
                i = 1
                while f"{name}_{i}" in self._modules:
                    i += 1
                self._modules[f"{name}_{i}"] = module
                self._registry_keys.add(f"{name}_{i}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """nn.Module.zero_grad over the same Parameters, walked faster (it runs on every training step)."""
        if not set_to_none or self.__dict__.get("_is_replica", False):  # (getattr would raise inside nn.Module)
            return super().zero_grad(set_to_none)
        for p in module_parameters(self):
            if p.grad is not None:
                p.grad = None

    def _first_parameter(self):
        """`next(self.parameters(), None)`, which places every batch: kept until the layers or weights change, and
        while that Parameter is still registered where it was found (torch may replace it: `load_state_dict` with
        `assign=True`, `.to()` with parameters overwritten on conversion)."""
        key = (tracking_version(), weights_version())
        cached = self.__dict__.get("_first_param")
        if cached is not None and cached[0] == key and (
                cached[1] is None or cached[1][0]._parameters.get(cached[1][1]) is cached[1][2]):
            return None if cached[1] is None else cached[1][2]
        found = module_parameters(self, first_only=True)
        self.__dict__["_first_param"] = (key, found[0] if found else None)  # no attribute tracking: per batch
        return found[0][2] if found else None

    # -- calling ------------------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """nn.Module's entry point; the same as calling the layer."""
        return CoreLayer.__call__(self, *args, **kwargs)

    def _convert_input(self, x):
        # numpy inputs go to the layer's device; tensors are left where they are.
        if isinstance(x, torch.Tensor) and not (x.is_floating_point() and x.dtype != to_torch_dtype(self.input_dtype)):
            return x  # nothing to convert (the core's rule, without its generic checks on every call)
        out = super()._convert_input(x)
        if out is not x and isinstance(out, torch.Tensor):
            device = first_device(self)
            if device is not None and out.device != device:
                out = out.to(device)
        return out


def first_device(module: torch.nn.Module):
    """The device of the module's first Parameter, or None without Parameters."""
    p = first_parameter(module)
    return None if p is None else p.device


def module_parameters(module: torch.nn.Module, first_only: bool = False) -> list:
    """`list(module.parameters())`: the same modules, order and deduplication, walked without the generators of
    `named_modules` and `named_parameters` (a few microseconds on every step). With `first_only`, [(the module
    holding the first Parameter, its name, the Parameter)], or []."""
    out, seen, visited, stack = [], set(), set(), [module]
    while stack:
        m = stack.pop()
        if id(m) in visited:
            continue
        visited.add(id(m))
        for name, p in m._parameters.items():
            if p is not None and id(p) not in seen:
                if first_only:
                    return [(m, name, p)]
                seen.add(id(p))
                out.append(p)
        children = [c for c in m._modules.values() if c is not None]
        stack.extend(reversed(children))
    return out


def first_parameter(module: torch.nn.Module):
    """`next(module.parameters(), None)`; a fitspec layer keeps it (see `TorchLayer._first_parameter`)."""
    if isinstance(module, TorchLayer):
        return module._first_parameter()
    found = module_parameters(module, first_only=True)
    return found[0][2] if found else None


class TorchModuleWrapper:
    """A fitspec layer around an existing `torch.nn.Module`: `TorchModuleWrapper(module)(x)` runs `module(x)`.

    The module's Parameters become the layer's weights without a copy, so fit() trains the module
    itself. Buffers (BatchNorm statistics) stay torch's. Bound to the backend's Layer class as
    `fs.layers.TorchModuleWrapper`.
    """

    def __init__(self, module, name=None, **kwargs):
        if not isinstance(module, torch.nn.Module) or isinstance(module, CoreLayer):
            raise invalid_argument("TorchModuleWrapper", "module", "a torch.nn.Module that is not a fitspec layer",
                                   module)
        super().__init__(name=name, **kwargs)
        self.module = module
        self.built = True

    def call(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def get_config(self):
        return {**super().get_config(), "module": repr(self.module)}

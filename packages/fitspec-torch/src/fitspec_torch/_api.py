"""fitspec_torch's public namespace, bound once at import, with the torch-only additions.

On top of `fitspec.bind`: the optimizers with fused multi-tensor updates and the Mean-based metrics
with a fast path for the common updates replace the bound core classes under the same names (the
same formulas: fitspec_torch.optimizer, fitspec_torch.metric), and `layers.TorchModuleWrapper`
wraps an existing torch.nn.Module.
"""

import fitspec
from fitspec_torch.backend import TorchBackend
from fitspec_torch.layer import TorchModuleWrapper
from fitspec_torch.metric import fast_classes
from fitspec_torch.optimizer import fused_classes

backend = TorchBackend()
api = fitspec.bind(backend, "fitspec_torch")

for _name, _cls in fused_classes(api.optimizers).items():
    setattr(api.optimizers, _name, _cls)
for _name, _cls in fast_classes(api.metrics).items():
    setattr(api.metrics, _name, _cls)

api.layers.TorchModuleWrapper = type(
    "TorchModuleWrapper", (TorchModuleWrapper, api.layers.Layer),
    {"__module__": "fitspec_torch.layers", "__qualname__": "TorchModuleWrapper"},
)
api.layers.__all__ = sorted({*api.layers.__all__, "TorchModuleWrapper"})
api.config.available_devices = backend.available_devices
api.config.use_device = backend.use_device

__all__ = ["backend", *fitspec.export(api, globals())]

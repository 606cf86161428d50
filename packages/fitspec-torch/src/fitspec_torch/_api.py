"""fitspec_torch's public namespace, bound once at import, with the torch-only additions.

On top of `fitspec.bind`: `layers.TorchModuleWrapper` wraps an existing torch.nn.Module. (The
optimizers', metrics' and losses' fast kernels are declared by the backend, not put in here.)
"""

import fitspec
from fitspec_torch.backend import TorchBackend
from fitspec_torch.layer import TorchModuleWrapper

backend = TorchBackend()
api = fitspec.bind(backend, "fitspec_torch")

api.layers.TorchModuleWrapper = type(
    "TorchModuleWrapper", (TorchModuleWrapper, api.layers.Layer),
    {"__module__": "fitspec_torch.layers", "__qualname__": "TorchModuleWrapper"},
)
api.layers.__all__ = sorted({*api.layers.__all__, "TorchModuleWrapper"})
api.config.available_devices = backend.available_devices
api.config.use_device = backend.use_device

__all__ = ["backend", *fitspec.export(api, globals())]

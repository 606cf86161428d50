"""fitspec_torch's public namespace, bound once at import, with the torch-only additions.

On top of `fitspec.bind`: the Mean-based metrics and the losses with fast paths for the common
updates and reductions replace the bound core classes under the same names (the same formulas:
fitspec_torch.metric, fitspec_torch.loss), and `layers.TorchModuleWrapper` wraps an existing
torch.nn.Module. The optimizers' fused updates are the backend's `optimizer_group`.
"""

import fitspec
from fitspec_torch import loss as fast_loss
from fitspec_torch import metric as fast_metric
from fitspec_torch.backend import TorchBackend
from fitspec_torch.layer import TorchModuleWrapper

backend = TorchBackend()
api = fitspec.bind(backend, "fitspec_torch")

for _name, _cls in fast_metric.fast_classes(api.metrics).items():
    setattr(api.metrics, _name, _cls)
for _name, _cls in fast_loss.fast_classes(api.losses).items():
    setattr(api.losses, _name, _cls)

api.layers.TorchModuleWrapper = type(
    "TorchModuleWrapper", (TorchModuleWrapper, api.layers.Layer),
    {"__module__": "fitspec_torch.layers", "__qualname__": "TorchModuleWrapper"},
)
api.layers.__all__ = sorted({*api.layers.__all__, "TorchModuleWrapper"})
api.config.available_devices = backend.available_devices
api.config.use_device = backend.use_device

__all__ = ["backend", *fitspec.export(api, globals())]

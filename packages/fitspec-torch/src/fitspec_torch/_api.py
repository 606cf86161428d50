"""fitspec_torch's public namespace, bound once at import (torch's additions: `TorchBackend.namespace`)."""

import fitspec
from fitspec_torch.backend import TorchBackend

backend = TorchBackend()
api = fitspec.bind(backend, "fitspec_torch")

__all__ = ["backend", *fitspec.export(api, globals())]

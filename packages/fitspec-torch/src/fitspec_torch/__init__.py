"""fitspec_torch: the PyTorch backend. `import fitspec_torch as fs`, then write Keras; every layer is an nn.Module."""

from fitspec_torch._api import *  # noqa: F403 (the Keras namespace: Model, Sequential, Input, layers, losses, ...)
from fitspec_torch._api import __all__ as _namespace

__all__ = [*_namespace]

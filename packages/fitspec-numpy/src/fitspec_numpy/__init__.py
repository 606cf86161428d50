"""fitspec_numpy: the float64 reference backend. `import fitspec_numpy as fs`, then write Keras."""

from fitspec_numpy._api import *  # noqa: F403 (the Keras namespace: Model, Sequential, Input, layers, losses, ...)
from fitspec_numpy._api import __all__ as _namespace
from fitspec_numpy.autodiff import value_and_grad

__all__ = [*_namespace, "value_and_grad"]

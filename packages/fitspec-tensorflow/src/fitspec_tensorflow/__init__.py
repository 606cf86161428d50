"""fitspec_tensorflow: fitspec on TensorFlow. `import fitspec_tensorflow as fs`, then write Keras."""

from fitspec_tensorflow._api import *  # noqa: F403 (the Keras namespace: Model, Sequential, Input, layers, losses, ...)
from fitspec_tensorflow._api import __all__ as _namespace

__all__ = [*_namespace]

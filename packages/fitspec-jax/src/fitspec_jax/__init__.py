"""fitspec_jax: the JAX backend. `import fitspec_jax as fs`, then write Keras; train_step is the JAX guide's."""

from fitspec_jax._api import *  # noqa: F403 (the Keras namespace: Model, Sequential, Input, layers, losses, ...)
from fitspec_jax._api import __all__ as _namespace
from fitspec_jax.autodiff import value_and_grad

__all__ = [*_namespace, "value_and_grad"]

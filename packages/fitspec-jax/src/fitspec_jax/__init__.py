"""fitspec_jax: the JAX backend. `import fitspec_jax as fs`, then write Keras; train_step is the JAX guide's."""

from fitspec_jax._api import api as _api
from fitspec_jax._api import backend
from fitspec_jax.autodiff import value_and_grad

Model = _api.Model
Sequential = _api.Sequential
Input = _api.Input
Variable = _api.Variable
layers = _api.layers
losses = _api.losses
metrics = _api.metrics
optimizers = _api.optimizers
activations = _api.activations
initializers = _api.initializers
callbacks = _api.callbacks
models = _api.models
config = _api.config
utils = _api.utils
ops = _api.ops
random = _api.random
datasets = _api.datasets
saving = _api.saving

__all__ = [
    "Input", "Model", "Sequential", "Variable", "activations", "backend", "callbacks", "config", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "saving", "utils",
    "value_and_grad",
]

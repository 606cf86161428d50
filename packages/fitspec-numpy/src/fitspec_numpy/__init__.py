"""fitspec_numpy: the float64 reference backend. `import fitspec_numpy as fs`, then write Keras."""

from fitspec_numpy._api import api as _api
from fitspec_numpy._api import backend
from fitspec_numpy.autodiff import value_and_grad

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
saving = _api.saving
random = _api.random
datasets = _api.datasets

__all__ = [
    "Input", "Model", "Sequential", "Variable", "activations", "backend", "callbacks", "config", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "saving", "utils",
    "value_and_grad",
]

"""fitspec_tensorflow's public namespace, bound once at import."""

import fitspec
from fitspec_tensorflow.backend import TensorflowBackend

backend = TensorflowBackend()
api = fitspec.bind(backend, "fitspec_tensorflow")

__all__ = ["backend", *fitspec.export(api, globals())]

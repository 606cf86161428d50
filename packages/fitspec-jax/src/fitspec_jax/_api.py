"""fitspec_jax's public namespace, bound once at import (`fs.random` through `JaxBackend.random_module`)."""

import fitspec
from fitspec_jax.backend import JaxBackend

backend = JaxBackend()
api = fitspec.bind(backend, "fitspec_jax")

__all__ = ["backend", *fitspec.export(api, globals())]

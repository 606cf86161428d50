"""fitspec_jax's public namespace, bound once at import; `random` is added to what `fitspec.bind` gives."""

import fitspec
from fitspec_jax.backend import JaxBackend

backend = JaxBackend()
api = fitspec.bind(backend, "fitspec_jax")

from fitspec_jax import random  # noqa: E402 (random's SeedGenerator subclasses the bound `api.layers.Layer`)

api.random = random

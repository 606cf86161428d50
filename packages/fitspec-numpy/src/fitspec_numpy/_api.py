"""fitspec_numpy's public namespace, bound once at import."""

import fitspec
from fitspec_numpy.backend import NumpyBackend

backend = NumpyBackend()
api = fitspec.bind(backend, "fitspec_numpy")

__all__ = ["backend", *fitspec.export(api, globals())]

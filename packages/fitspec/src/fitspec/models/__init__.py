"""Core model classes; a backend package exposes them bound to its backend as `fs.models`."""

from fitspec.models.model import Model
from fitspec.models.sequential import Sequential

__all__ = ["Model", "Sequential"]

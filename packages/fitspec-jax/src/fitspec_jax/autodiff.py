"""`value_and_grad`: jax's own, re-exported so that `fs.value_and_grad` means the same on numpy and JAX."""

from jax import value_and_grad

__all__ = ["value_and_grad"]

"""Saving and loading: one safetensors file with JSON metadata, portable across backends."""

from fitspec.saving.model_io import load_model, load_weights, save_model, save_weights
from fitspec.saving.registry import register_serializable

__all__ = ["load_model", "load_weights", "register_serializable", "save_model", "save_weights"]

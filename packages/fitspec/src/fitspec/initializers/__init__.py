"""Initializers: numpy arrays computed on the host from a seed and the shape, cast to the variable's dtype by the
backend, so the same seed gives bit-identical initial weights everywhere (docs/SPEC.md 3.1, 3.3)."""

from fitspec.initializers.base import Initializer
from fitspec.initializers.constant_initializers import STFT, Constant, Identity, Ones, Zeros
from fitspec.initializers.lookup import ALL, NAMES, NAMESPACE, deserialize, get, serialize
from fitspec.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
    truncated_normal,
)

__all__ = [
    "ALL", "NAMES", "NAMESPACE", "STFT", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
    "Identity", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomInitializer",
    "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans", "deserialize",
    "get", "serialize", "truncated_normal",
]

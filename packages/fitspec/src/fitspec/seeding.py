"""The process-wide seed stream that initializers without a seed and data shuffling draw from.

`set_random_seed(s)` makes every later draw reproducible, on every backend alike: this stream is
numpy's, never a framework's.
"""

from __future__ import annotations

import random

import numpy as np

_stream = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seed fitspec's stream, Python's `random` and numpy's global generator, as Keras does."""
    global _stream
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        from fitspec.errors import invalid_argument

        raise invalid_argument("set_random_seed", "seed", "a non-negative int", seed)
    _stream = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def next_seed() -> int:
    """A fresh 63-bit seed from the stream."""
    return int(_stream.integers(0, 2**63 - 1))


def generator(seed: int | None) -> np.random.Generator:
    """A numpy generator for `seed`, or for the next seed of the stream when `seed` is None."""
    return np.random.default_rng(next_seed() if seed is None else int(seed))

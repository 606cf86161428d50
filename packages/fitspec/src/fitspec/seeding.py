"""The process-wide seeds: the stream that initializers without a seed and data shuffling draw from, and the
seed word of each backend's process-wide random state (`fs.random` draws with seed=None).

`set_random_seed(s)` makes every later draw reproducible, on every backend alike: the stream is
numpy's, never a framework's, and each backend's random state restarts from [word(s), 0].
"""

from __future__ import annotations

import random

import numpy as np

_stream = np.random.default_rng()
_seed_word = int(np.random.SeedSequence().generate_state(1)[0])
_reseed_callbacks = []


def set_random_seed(seed: int) -> None:
    """Seed fitspec's stream, each backend's process-wide random state, Python's `random` and numpy's global
    generator, as Keras does."""
    global _stream, _seed_word
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        from fitspec.errors import invalid_argument

        raise invalid_argument("set_random_seed", "seed", "a non-negative int", seed)
    _stream = np.random.default_rng(int(seed))
    _seed_word = int(np.random.SeedSequence([int(seed), 0x5EED]).generate_state(1)[0])
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    for callback in _reseed_callbacks:
        callback()


def next_seed() -> int:
    """A fresh 63-bit seed from the stream."""
    return int(_stream.integers(0, 2**63 - 1))


def generator(seed: int | None) -> np.random.Generator:
    """A numpy generator for `seed`, or for the next seed of the stream when `seed` is None."""
    return np.random.default_rng(next_seed() if seed is None else int(seed))


def process_seed_word() -> int:
    """The first word of the process-wide random states: from `set_random_seed`'s seed, else from the OS."""
    return _seed_word


def on_reseed(callback) -> None:
    """Call `callback()` after every `set_random_seed` (a backend restarts its process-wide random state)."""
    _reseed_callbacks.append(callback)

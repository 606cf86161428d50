"""Crosscheck area `utils` (docs/SPEC.md 12.1): fs.utils' array helpers against keras.utils."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import verdict


def crosscheck_utils(keras, fs) -> list[str]:
    """`fs.utils`' array helpers against `keras.utils` on host data (docs/SPEC.md 12.1): identical arrays."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    x[1] = 0.0
    labels = rng.integers(0, 5, size=(6, 1))
    sequences = [[1, 2, 3], [], [4, 5, 6, 7, 8], [9]]
    calls = {
        "to_categorical(labels)": lambda u: u.to_categorical(labels),
        "to_categorical(labels, 7)": lambda u: u.to_categorical(labels.ravel(), 7),
        **{f"normalize(order={order}, axis={axis})": (lambda u, order=order, axis=axis: u.normalize(x, axis, order))
           for order in (1, 2, np.inf) for axis in (-1, 1)},
        **{f"pad_sequences({padding}, {truncating}, maxlen={maxlen})":
           (lambda u, p=padding, t=truncating, m=maxlen: u.pad_sequences(sequences, m, padding=p, truncating=t,
                                                                          value=-1))
           for padding in ("pre", "post") for truncating in ("pre", "post") for maxlen in (None, 2)},
    }
    problems = []
    for name, call in calls.items():
        ours, theirs = call(fs.utils), call(keras.utils)
        if ours.dtype != theirs.dtype or ours.shape != theirs.shape or not np.array_equal(ours, theirs):
            problems.append(f"utils.{name}: {ours.dtype}{ours.shape} != Keras {theirs.dtype}{theirs.shape}")
    return problems


def check() -> int:
    import keras

    import fitspec_numpy as fs

    return verdict("utils", crosscheck_utils(keras, fs))

"""A small LSTM text classifier trained with fit() on synthetic padded sentences (no download).

    python examples/lstm_text_classifier.py [numpy|jax|tensorflow|torch]

Each "sentence" is 3..12 token ids from a vocabulary of 20, padded with 0 to 12; its label says whether token 1
("good") occurs more often than token 2 ("bad"). Embedding(mask_zero=True) masks the padding, so the LSTM reads
only the real tokens (docs/SPEC.md "Masking", "Recurrent").
"""

from __future__ import annotations

import importlib
import sys

import numpy as np


def sentences(rng, count, steps=12, vocabulary=20):
    lengths = rng.integers(3, steps + 1, size=count)
    ids = rng.integers(1, vocabulary, size=(count, steps))
    x = np.where(np.arange(steps) < lengths[:, None], ids, 0).astype("int32")
    y = ((x == 1).sum(axis=1) > (x == 2).sum(axis=1)).astype("float32")
    return x, y


def main(backend="numpy"):
    fs = importlib.import_module(f"fitspec_{backend}")
    fs.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = sentences(rng, 800)
    x_test, y_test = sentences(rng, 300)
    model = fs.Sequential([
        fs.Input(shape=(None,), dtype="int32"),
        fs.layers.Embedding(20, 8, mask_zero=True),
        fs.layers.LSTM(16),
        fs.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=fs.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=6, validation_split=0.1, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:])

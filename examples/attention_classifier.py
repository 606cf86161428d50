"""A tiny transformer classifier trained with fit() on synthetic token sequences (docs/SPEC.md 8d.A).

Run as `python examples/attention_classifier.py [numpy|jax|tensorflow|torch]`. The task: does token 1 occur
after token 2 somewhere in the sequence? Order matters, so the model needs attention (a causal
MultiHeadAttention block), not just a bag of tokens.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np


def make_data(samples: int, length: int = 10, vocabulary: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.integers(3, vocabulary, size=(samples, length))
    y = np.zeros(samples, dtype="int64")
    for row in range(samples):
        i, j = sorted(rng.choice(length, size=2, replace=False))
        ones_after_twos = rng.random() < 0.5
        x[row, i], x[row, j] = (2, 1) if ones_after_twos else (1, 2)
        y[row] = int(ones_after_twos)
    return x, y


def build(fs, length=10, vocabulary=8, width=16):
    tokens = fs.Input(shape=(length,), dtype="int32")
    x = fs.layers.Embedding(vocabulary, width)(tokens)
    attended = fs.layers.MultiHeadAttention(num_heads=2, key_dim=8, name="self_attention")(
        x, x, use_causal_mask=True)
    x = fs.layers.LayerNormalization()(fs.layers.add([x, attended]))
    feed_forward = fs.layers.EinsumDense("btd,df->btf", output_shape=(None, 32), bias_axes="f",
                                         activation="relu")(x)
    x = fs.layers.LayerNormalization()(fs.layers.add([x, fs.layers.Dense(width)(feed_forward)]))
    x = fs.layers.GlobalMaxPooling1D()(x)
    return fs.Model(tokens, fs.layers.Dense(2, activation="softmax")(x))


def main(backend: str = "numpy") -> None:
    fs = importlib.import_module(f"fitspec_{backend}")
    fs.utils.set_random_seed(1)
    x, y = make_data(1200)
    model = build(fs)
    model.compile(optimizer=fs.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    model.summary()
    model.fit(x[:1000], y[:1000], batch_size=50, epochs=8, verbose=2)
    loss, accuracy = model.evaluate(x[1000:], y[1000:], verbose=0)
    print(f"held-out loss {loss:.4f}, accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])

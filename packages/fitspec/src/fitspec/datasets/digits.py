"""`fs.datasets.digits.load_data()`: scikit-learn's bundled handwritten digits in MNIST's layout.

The 1,797 images of `sklearn.datasets.load_digits` (8x8, values 0..16) become 28x28 uint8 images
by a fixed rule: each pixel is repeated 3x3 (nearest neighbour, 8x8 -> 24x24), the image is
zero-padded by 2 pixels on each side (24x24 -> 28x28, MNIST's digits also sit in a blank border),
and values are scaled to MNIST's range: round(v * 255 / 16). The split is deterministic: the first
1,500 images are the training set, the last 297 the test set. Labels are uint8, as in MNIST.
scikit-learn is an optional dependency, needed only here.
"""

from __future__ import annotations

import numpy as np

TRAIN_SIZE = 1500
SCALE = 3  # 8 * 3 = 24
PAD = 2  # 24 + 2 * 2 = 28


def to_mnist_layout(images: np.ndarray) -> np.ndarray:
    """(n, 8, 8) values in 0..16 -> (n, 28, 28) uint8 values in 0..255, by the rule above."""
    images = np.asarray(images, dtype=np.float64)
    large = np.repeat(np.repeat(images, SCALE, axis=1), SCALE, axis=2)
    padded = np.pad(large, ((0, 0), (PAD, PAD), (PAD, PAD)))
    return np.rint(padded * 255.0 / 16.0).astype(np.uint8)


def load_data():
    """((x_train, y_train), (x_test, y_test)): (1500, 28, 28) and (297, 28, 28) uint8 images, uint8 labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "digits.load_data needs scikit-learn, an optional dependency of fitspec that ships the digits data "
            "(no download): pip install scikit-learn"
        ) from error
    bunch = load_digits()
    x = to_mnist_layout(bunch.images)
    y = np.asarray(bunch.target, dtype=np.uint8)
    return (x[:TRAIN_SIZE], y[:TRAIN_SIZE]), (x[TRAIN_SIZE:], y[TRAIN_SIZE:])

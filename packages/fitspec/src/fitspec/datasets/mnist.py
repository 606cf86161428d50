"""`fs.datasets.mnist.load_data()`: MNIST from a local `.npz` file; fitspec never downloads it.

The file is Keras's `mnist.npz`: arrays `x_train` (60000, 28, 28) uint8, `y_train` (60000,),
`x_test` (10000, 28, 28), `y_test` (10000,). A relative `path` is looked up under
`~/.fitspec/datasets/`; an absolute one (after `~` expansion) is read as it is.
"""

from __future__ import annotations

import pathlib

import numpy as np

KEYS = ("x_train", "y_train", "x_test", "y_test")
SOURCE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def data_dir() -> pathlib.Path:
    """Where relative dataset paths are looked up: `~/.fitspec/datasets`."""
    return pathlib.Path.home() / ".fitspec" / "datasets"


def load_data(path="mnist.npz"):
    """((x_train, y_train), (x_test, y_test)) read from the MNIST `.npz` at `path`.

    Raises FileNotFoundError saying where to put the file when it is absent, and ValueError when
    the file lacks one of the arrays `x_train`, `y_train`, `x_test`, `y_test`.
    """
    file = pathlib.Path(path).expanduser()
    if not file.is_absolute():
        file = data_dir() / file
    if not file.is_file():
        raise FileNotFoundError(
            f"mnist.load_data: no MNIST file at {file}. fitspec does not download data sets (the network may "
            f"not reach MNIST's host): put Keras's mnist.npz ({SOURCE}; a NumPy .npz with arrays "
            f"{', '.join(KEYS)}) at {file}, or pass load_data(path=...) the absolute path of your copy. "
            "Without it, fs.datasets.digits.load_data() gives scikit-learn's bundled handwritten digits in "
            "MNIST's layout."
        )
    with np.load(file, allow_pickle=False) as contents:
        missing = [key for key in KEYS if key not in contents.files]
        if missing:
            raise ValueError(
                f"mnist.load_data: argument `path` expected an .npz with arrays {list(KEYS)}; received {file} "
                f"without {missing} (it holds {sorted(contents.files)})."
            )
        x_train, y_train, x_test, y_test = (contents[key] for key in KEYS)
    return (x_train, y_train), (x_test, y_test)

"""fs.datasets: MNIST from a local .npz (never downloaded), scikit-learn's digits in MNIST's layout."""

import importlib.util
import pathlib

import numpy as np
import pytest

from fitspec.datasets import digits, mnist


def write_tiny_mnist(path: pathlib.Path, **drop) -> dict:
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=6, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=2, dtype=np.uint8),
    }
    for key in drop:
        arrays.pop(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def test_mnist_reads_an_explicit_absolute_path(tmp_path):
    arrays = write_tiny_mnist(tmp_path / "elsewhere" / "mine.npz")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=tmp_path / "elsewhere" / "mine.npz")
    for name, value in zip(mnist.KEYS, (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(value, arrays[name])
        assert value.dtype == np.uint8


def test_mnist_reads_a_relative_path_under_the_fitspec_datasets_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    arrays = write_tiny_mnist(tmp_path / ".fitspec" / "datasets" / "mnist.npz")
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])


def test_a_missing_mnist_file_says_exactly_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".fitspec" / "datasets" / "mnist.npz"
    with pytest.raises(FileNotFoundError) as error:
        mnist.load_data()
    message = str(error.value)
    assert f"no MNIST file at {expected}" in message
    assert f"at {expected}, or pass load_data(path=...)" in message
    assert "fs.datasets.digits.load_data()" in message


def test_an_mnist_file_without_an_array_names_the_missing_key(tmp_path):
    write_tiny_mnist(tmp_path / "mnist.npz", y_test=True)
    with pytest.raises(ValueError, match=r"without \['y_test'\]"):
        mnist.load_data(path=tmp_path / "mnist.npz")


def test_the_digits_rule_repeats_each_pixel_3x3_pads_2_and_scales_to_255():
    image = np.zeros((1, 8, 8))
    image[0, 0, 0], image[0, 7, 7], image[0, 3, 4] = 16, 8, 1
    out = digits.to_mnist_layout(image)
    assert out.shape == (1, 28, 28) and out.dtype == np.uint8
    assert np.all(out[0, 2:5, 2:5] == 255) and np.all(out[0, 23:26, 23:26] == 128)  # round(8 * 255 / 16)
    assert np.all(out[0, 11:14, 14:17] == 16)  # round(255 / 16)
    assert out[0, :2].sum() == out[0, 26:].sum() == out[0, :, :2].sum() == out[0, :, 26:].sum() == 0
    assert int(out.astype(int).sum()) == 9 * (255 + 128 + 16)


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                    reason="scikit-learn (an optional dependency) is not installed: it ships the digits data")
def test_digits_load_in_mnists_layout_with_a_fixed_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1500, 28, 28) and x_test.shape == (297, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    assert set(np.unique(y_train).tolist()) == set(range(10)) and set(np.unique(y_test).tolist()) == set(range(10))
    (again, _), _ = digits.load_data()
    np.testing.assert_array_equal(again, x_train)


def test_digits_without_scikit_learn_names_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="needs scikit-learn.*pip install scikit-learn"):
        digits.load_data()

"""The preprocessing layers' gradients with respect to their inputs agree with central finite differences in float64,
hypothesis over shapes and arguments (docs/SPEC.md 8d.P): Rescaling, Normalization (adapted and inverted), Resizing
(bilinear, both data formats, with and without the aspect-ratio crop), CenterCrop, RandomCrop, and RandomFlip,
RandomContrast and RandomBrightness in training."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients_layers_merging_reshaping_noise_normalization import check_gradients

import fitspec_numpy as fs

sizes = st.integers(1, 4)
formats = st.sampled_from(["channels_last", "channels_first"])


def images(rng, height, width, data_format, channels=2):
    shape = (2, channels, height, width) if data_format == "channels_first" else (2, height, width, channels)
    return rng.normal(size=shape)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(per_channel=st.booleans(), seed=st.integers(0, 2**16))
def test_rescaling(per_channel, seed):
    rng = np.random.default_rng(seed)
    scale = rng.normal(size=3).tolist() if per_channel else float(rng.normal())
    check_gradients(fs.layers.Rescaling(scale, offset=0.5), rng.normal(size=(2, 4, 3)))


@settings(max_examples=6, deadline=None, derandomize=True)
@given(axis=st.sampled_from([-1, None, (1, 2)]), invert=st.booleans(), seed=st.integers(0, 2**16))
def test_normalization(axis, invert, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 2, 4))
    layer = fs.layers.Normalization(axis=axis, invert=invert)
    layer.adapt(rng.normal(size=(5, 2, 4)) * 2.0 + 1.0)
    check_gradients(layer, x)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(size_in=st.tuples(sizes, sizes), size_out=st.tuples(sizes, sizes), data_format=formats, crop=st.booleans(),
       seed=st.integers(0, 2**16))
def test_bilinear_resizing(size_in, size_out, data_format, crop, seed):
    rng = np.random.default_rng(seed)
    layer = fs.layers.Resizing(*size_out, crop_to_aspect_ratio=crop, data_format=data_format)
    check_gradients(layer, images(rng, *size_in, data_format))


@settings(max_examples=6, deadline=None, derandomize=True)
@given(size_in=st.tuples(sizes, sizes), size_out=st.tuples(sizes, sizes), data_format=formats,
       seed=st.integers(0, 2**16))
def test_center_crop(size_in, size_out, data_format, seed):
    rng = np.random.default_rng(seed)
    check_gradients(fs.layers.CenterCrop(*size_out, data_format=data_format), images(rng, *size_in, data_format))


@settings(max_examples=4, deadline=None, derandomize=True)
@given(mode=st.sampled_from(["horizontal", "vertical", "horizontal_and_vertical"]), seed=st.integers(0, 2**16))
def test_random_flip_in_training(mode, seed):
    rng = np.random.default_rng(seed)
    check_gradients(fs.layers.RandomFlip(mode, seed=seed % 1000), images(rng, 3, 2, "channels_last"), training=True,
                    seed=seed)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(name=st.sampled_from(["RandomContrast", "RandomBrightness"]), data_format=formats, seed=st.integers(0, 2**16))
def test_random_contrast_and_brightness_in_training(name, data_format, seed):
    """value_range wide enough that no value is clipped (the clip's kinks are not differentiable)."""
    rng = np.random.default_rng(seed)
    layer = getattr(fs.layers, name)(0.4, value_range=(-50, 50), seed=seed % 1000, data_format=data_format)
    check_gradients(layer, images(rng, 3, 2, data_format), training=True, seed=seed)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(size_in=st.tuples(st.integers(2, 5), st.integers(2, 5)), training=st.booleans(), data_format=formats,
       seed=st.integers(0, 2**16))
def test_random_crop(size_in, training, data_format, seed):
    rng = np.random.default_rng(seed)
    layer = fs.layers.RandomCrop(2, 1, seed=seed % 1000, data_format=data_format)
    check_gradients(layer, images(rng, *size_in, data_format), training=training, seed=seed)

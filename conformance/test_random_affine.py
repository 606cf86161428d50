"""RandomRotation, RandomTranslation and RandomZoom (docs/SPEC.md 8d.P2): the identity at inference, whole turns and
shifts against numpy, every fill mode and interpolation against a loop-by-loop numpy reference of the sampling rule at
the factors the portable generator draws, seeds, data formats, save round trips and bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conformance.test_layers import saves_and_loads
from conformance.test_layers_merging_reshaping_noise_normalization import numpy_of, rand, tolerance

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
#: one batch shape for every test (JAX compiles each op per shape): 3 images of 5 x 6 x 2
IMAGES = rand(3, 5, 6, 2, seed=3)


# -- the numpy reference -------------------------------------------------------------------------------------------
def _fixed(index: int, size: int, fill_mode: str):
    """The index read for an integer index under `fill_mode`; None where "constant" reads the fill value."""
    if fill_mode == "constant":
        return index if 0 <= index < size else None
    if fill_mode == "nearest":
        return min(max(index, 0), size - 1)
    if fill_mode == "wrap":
        return index % size
    folded = index % (2 * size)  # reflect: d c b a | a b c d | d c b a
    return folded if folded < size else 2 * size - 1 - folded


def sample(image, matrix, interpolation, fill_mode, fill_value=0.0):
    """One (H, W, C) image resampled at the 8 numbers `matrix`, pixel by pixel."""
    a0, a1, a2, b0, b1, b2, c0, c1 = (float(m) for m in matrix)
    height, width, _ = image.shape
    out = np.zeros(image.shape)
    for y in range(height):
        for x in range(width):
            k = c0 * x + c1 * y + 1.0
            source_x, source_y = (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k
            if interpolation == "nearest":
                nodes = [(int(math.copysign(math.floor(abs(source_y) + 0.5), source_y)),
                          int(math.copysign(math.floor(abs(source_x) + 0.5), source_x)), 1.0)]
            else:
                top, left = math.floor(source_y), math.floor(source_x)
                dy, dx = source_y - top, source_x - left
                nodes = [(top + i, left + j, (dy if i else 1 - dy) * (dx if j else 1 - dx)) for i in (0, 1)
                         for j in (0, 1)]
            for row, col, weight in nodes:
                row, col = _fixed(row, height, fill_mode), _fixed(col, width, fill_mode)
                out[y, x] += weight * (fill_value if row is None or col is None else image[row, col])
    return out


def rotation(degrees, height, width):
    theta = math.radians(degrees)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    cos, sin = math.cos(theta), math.sin(theta)
    return [cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, 0, 0]


def translation(dx, dy):
    return [1, 0, -dx, 0, 1, -dy, 0, 0]


def zoom(zx, zy, height, width):
    return [zx, 0, (width - 1) / 2 * (1 - zx), 0, zy, (height - 1) / 2 * (1 - zy), 0, 0]


def draws(fs, seed, ranges, count):
    """The float32 uniforms a layer of `seed` draws, one (count,) vector per range in order."""
    generator = fs.random.SeedGenerator(seed)
    return [np.asarray(fs.ops.convert_to_numpy(fs.random.uniform((count, 1, 1, 1), minval=low, maxval=high,
                                                                 dtype="float32", seed=generator))).reshape(count)
            .astype("float64") for low, high in ranges]


# -- behaviour -----------------------------------------------------------------------------------------------------
def test_the_affine_layers_are_the_identity_at_inference_and_cast_to_the_layers_dtype(fs, precision):
    images = IMAGES
    layers = [fs.layers.RandomRotation(0.3, seed=1), fs.layers.RandomTranslation(0.2, 0.4, seed=2),
              fs.layers.RandomZoom(0.5, seed=3)]
    for layer in layers:
        np.testing.assert_array_equal(numpy_of(fs, layer(images, training=False)), images.astype(precision))
        assert not np.allclose(numpy_of(fs, layer(images)), images)  # training=True is the default, as in Keras
    ints = fs.layers.RandomZoom(0.2, seed=4)(np.arange(180, dtype="int32").reshape(3, 5, 6, 2), training=False)
    assert fs.ops.dtype(ints) == precision


def test_a_half_turn_reverses_both_axes_and_whole_shifts_roll_with_wrap(fs, precision):
    images = IMAGES
    half = numpy_of(fs, fs.layers.RandomRotation((0.5, 0.5), seed=0)(images))
    np.testing.assert_allclose(half, images[:, ::-1, ::-1], **tolerance(precision))
    shifted = numpy_of(fs, fs.layers.RandomTranslation((0.4, 0.4), (-0.5, -0.5), fill_mode="wrap")(images))
    np.testing.assert_allclose(shifted, np.roll(images, (2, -3), axis=(1, 2)), rtol=1e-6, atol=1e-6)  # 0.4 in float32
    same = numpy_of(fs, fs.layers.RandomZoom(0.0, fill_mode="constant", fill_value=9.0)(images))
    np.testing.assert_allclose(same, images, **tolerance(precision))


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_every_fill_mode_and_interpolation_samples_at_the_drawn_factors(fs, precision, fill_mode):
    """Each layer against the numpy reference at the uniforms its seed draws (the portable generator's)."""
    images = IMAGES
    for interpolation in ("bilinear", "nearest"):
        options = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": -0.5, "seed": 7}
        (degrees,) = draws(fs, 7, [(360.0 * -0.3, 360.0 * 0.2)], 3)
        dy, dx = draws(fs, 7, [(-0.3, 0.5), (-0.4, 0.4)], 3)
        zy, zx = draws(fs, 7, [(1.0 - 0.3, 1.0 + 0.4), (1.0 - 0.2, 1.0 + 0.2)], 3)
        cases = [
            (fs.layers.RandomRotation((-0.3, 0.2), **options), [rotation(d, 5, 6) for d in degrees]),
            (fs.layers.RandomTranslation((0.5, -0.3), 0.4, **options),
             [translation(x * 6, y * 5) for x, y in zip(dx, dy)]),
            (fs.layers.RandomZoom((-0.3, 0.4), 0.2, **options), [zoom(x, y, 5, 6) for x, y in zip(zx, zy)]),
        ]
        for layer, matrices in cases:
            expected = [sample(image, m, interpolation, fill_mode, -0.5) for image, m in zip(images, matrices)]
            np.testing.assert_allclose(numpy_of(fs, layer(images)), np.stack(expected), **tolerance(precision),
                                       err_msg=f"{layer.name} {interpolation}")


def test_a_zoom_without_width_factor_keeps_the_aspect_ratio_and_one_image_is_one_draw(fs, precision):
    images = IMAGES
    (zy,) = draws(fs, 5, [(1.0 - 0.4, 1.0 + 0.3)], 3)
    out = numpy_of(fs, fs.layers.RandomZoom((-0.4, 0.3), seed=5, fill_mode="nearest")(images))
    expected = [sample(image, zoom(z, z, 5, 6), "bilinear", "nearest") for image, z in zip(images, zy)]
    np.testing.assert_allclose(out, np.stack(expected), **tolerance(precision))
    (degrees,) = draws(fs, 6, [(360.0 * -0.1, 360.0 * 0.1)], 1)
    one = numpy_of(fs, fs.layers.RandomRotation(0.1, seed=6)(images[0]))
    np.testing.assert_allclose(one, sample(images[0], rotation(degrees[0], 5, 6), "bilinear", "reflect"),
                               **tolerance(precision))


def test_a_seed_repeats_and_channels_first_transforms_the_same_images(fs):
    images = IMAGES
    for name, args in (("RandomRotation", (0.2,)), ("RandomTranslation", (0.3, 0.3)), ("RandomZoom", (0.3, 0.1))):
        last = numpy_of(fs, getattr(fs.layers, name)(*args, seed=3)(images))
        np.testing.assert_array_equal(numpy_of(fs, getattr(fs.layers, name)(*args, seed=3)(images)), last)
        first = numpy_of(fs, getattr(fs.layers, name)(*args, seed=3, data_format="channels_first")(
            np.transpose(images, (0, 3, 1, 2))))
        np.testing.assert_array_equal(np.transpose(first, (0, 2, 3, 1)), last)


def test_a_model_of_affine_layers_saves_and_loads(fs, tmp_path):
    model = fs.Sequential([
        fs.Input(shape=(5, 6, 2)), fs.layers.RandomRotation((-0.1, 0.2), fill_mode="constant", fill_value=1.0, seed=1),
        fs.layers.RandomTranslation(0.1, (-0.2, 0.3), interpolation="nearest", seed=2),
        fs.layers.RandomZoom(0.2, fill_mode="wrap", seed=3), fs.layers.Flatten(), fs.layers.Dense(2),
    ])
    saves_and_loads(fs, model, IMAGES, tmp_path)
    for layer in model.layers:
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config(), layer.name


# -- bad arguments -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs", "argument"), [
    ("RandomRotation", {"factor": 1.5}, "factor"), ("RandomRotation", {"factor": (0.5, 2.0)}, "factor"),
    ("RandomRotation", {"factor": "x"}, "factor"), ("RandomRotation", {"factor": 0.1, "fill_mode": "mirror"},
                                                    "fill_mode"),
    ("RandomRotation", {"factor": 0.1, "interpolation": "bicubic"}, "interpolation"),
    ("RandomRotation", {"factor": 0.1, "fill_value": float("nan")}, "fill_value"),
    ("RandomRotation", {"factor": 0.1, "seed": -2}, "seed"),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": (0.1, 0.2, 0.3)}, "width_factor"),
    ("RandomTranslation", {"height_factor": -1.5, "width_factor": 0.1}, "height_factor"),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1, "data_format": "channels_middle"},
     "data_format"),
    ("RandomZoom", {"height_factor": -1.0}, "height_factor"), ("RandomZoom", {"height_factor": (-1.0, 0.2)},
                                                               "height_factor"),
    ("RandomZoom", {"height_factor": 0.1, "width_factor": True}, "width_factor"),
])
def test_bad_arguments_are_refused_by_name(fs, name, kwargs, argument):
    with pytest.raises(ValueError, match=rf"argument `{argument}` expected"):
        getattr(fs.layers, name)(**kwargs)


def test_images_of_another_rank_are_refused(fs):
    with pytest.raises(ValueError, match=r"argument `inputs` expected images of rank 3 or 4"):
        fs.layers.RandomZoom(0.1)(np.zeros((2, 3)))

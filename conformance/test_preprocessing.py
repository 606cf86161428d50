"""The preprocessing layers: values against numpy formulas, `adapt` against numpy statistics (hypothesis), the random
layers' training-only rule, config and save round trips, and bad arguments (docs/SPEC.md 8d.P)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.test_layers import saves_and_loads
from conformance.test_layers_merging_reshaping_noise_normalization import numpy_of, rand, tolerance


# -- Rescaling --------------------------------------------------------------------------------------------------------
def test_rescaling_is_x_times_scale_plus_offset_per_channel(fs, precision):
    x = rand(2, 3, 4)
    np.testing.assert_allclose(numpy_of(fs, fs.layers.Rescaling(1 / 255.0, offset=-1.0)(x)), x / 255.0 - 1.0,
                               **tolerance(precision))
    scale, offset = [1.0, 2.0, -0.5, 3.0], [0.0, 1.0, 2.0, -1.0]
    out = fs.layers.Rescaling(scale, offset)(x)
    np.testing.assert_allclose(numpy_of(fs, out), x * np.array(scale) + np.array(offset), **tolerance(precision))
    ints = fs.layers.Rescaling(0.5)(np.array([[2, 3]], dtype="int32"))
    assert fs.ops.dtype(ints) == precision
    np.testing.assert_array_equal(numpy_of(fs, ints), [[1.0, 1.5]])


# -- Normalization ----------------------------------------------------------------------------------------------------
@settings(max_examples=5, deadline=None)  # each shape compiles anew on JAX
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), data=st.data())
def test_normalization_adapt_is_numpys_mean_and_biased_variance_over_the_other_axes(fs, precision, shape, data):
    rank = len(shape)
    axis = data.draw(st.sampled_from([None, -1, 1, (1, rank - 1)] if rank > 2 else [None, -1, 1]))
    keep = () if axis is None else tuple(sorted({a % rank for a in ((axis,) if isinstance(axis, int) else axis)}))
    reduce = tuple(a for a in range(rank) if a not in keep)
    x = rand(*shape, seed=data.draw(st.integers(0, 99))) * 3.0 + 1.0
    layer = fs.layers.Normalization(axis=axis)
    layer.adapt(x)
    mean, variance = np.mean(x, axis=reduce), np.var(x, axis=reduce)
    np.testing.assert_allclose(numpy_of(fs, layer.adapt_mean), mean, **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, layer.adapt_variance), variance, **tolerance(precision))
    broadcast = tuple(shape[a] if a in keep else 1 for a in range(rank))
    expected = (x - mean.reshape(broadcast)) / np.maximum(np.sqrt(variance.reshape(broadcast)), 1e-7)
    np.testing.assert_allclose(numpy_of(fs, layer(x)), expected, rtol=1e-10 if precision == "float64" else 1e-4,
                               atol=1e-10 if precision == "float64" else 1e-4)


@settings(max_examples=6, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4), seed=st.integers(0, 99))
def test_normalization_adapt_over_batches_equals_the_statistics_of_all_rows(fs, precision, sizes, seed):
    x = rand(sum(sizes), 3, seed=seed) * 2.0 - 0.5
    batches = np.split(x, np.cumsum(sizes)[:-1])
    layer = fs.layers.Normalization()
    layer.adapt([(batch, np.zeros(len(batch))) for batch in batches])  # (x, y) batches give x
    np.testing.assert_allclose(numpy_of(fs, layer.adapt_mean), x.mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(numpy_of(fs, layer.adapt_variance), x.var(axis=0), rtol=1e-5, atol=1e-6)


def test_normalization_takes_a_pydataset_and_backend_tensors(fs):
    x = rand(12, 2, seed=3)

    class Batches(fs.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return x[4 * index: 4 * index + 4], None

    from_dataset, from_tensor = fs.layers.Normalization(), fs.layers.Normalization()
    from_dataset.adapt(Batches())
    from_tensor.adapt(fs.ops.convert_to_tensor(x))
    for layer in (from_dataset, from_tensor):
        np.testing.assert_allclose(numpy_of(fs, layer.adapt_mean), x.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_normalization_given_mean_and_variance_broadcast_and_invert(fs, precision):
    x = rand(2, 3, 4, seed=1)
    layer = fs.layers.Normalization(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 9.0, 0.0])
    expected = (x - np.array([1.0, 2.0, 3.0, 4.0])) / np.maximum(np.sqrt([1.0, 4.0, 9.0, 0.0]), 1e-7)
    out = layer(x)
    np.testing.assert_allclose(numpy_of(fs, out), expected, rtol=1e-6 if precision == "float32" else 1e-12)
    assert layer.weights == []
    inverse = fs.layers.Normalization(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 9.0, 1.0],
                                      invert=True)
    forward = fs.layers.Normalization(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 9.0, 1.0])
    np.testing.assert_allclose(numpy_of(fs, inverse(forward(x))), x, **tolerance(precision))
    scalar = fs.layers.Normalization(axis=None, mean=2.0, variance=4.0)
    np.testing.assert_allclose(numpy_of(fs, scalar(x)), (x - 2.0) / 2.0, **tolerance(precision))


# -- Discretization ---------------------------------------------------------------------------------------------------
def test_discretization_counts_the_boundaries_at_or_below_each_value(fs, precision):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    x = np.array([[-3.0, -1.0, 0.0, 0.25], [0.5, 1.0, 2.0, 7.0]])
    out = fs.layers.Discretization(bin_boundaries=boundaries)(x)
    assert fs.ops.dtype(out) == "int32"
    np.testing.assert_array_equal(numpy_of(fs, out), np.digitize(x, boundaries))
    counts = fs.layers.Discretization(bin_boundaries=boundaries, output_mode="count")(x)
    expected = np.stack([np.bincount(row, minlength=5) for row in np.digitize(x, boundaries)])
    np.testing.assert_array_equal(numpy_of(fs, counts), expected)
    assert fs.ops.dtype(counts) == precision
    multi = fs.layers.Discretization(bin_boundaries=boundaries, output_mode="multi_hot")(x)
    np.testing.assert_array_equal(numpy_of(fs, multi), np.minimum(expected, 1))
    one_hot = fs.layers.Discretization(bin_boundaries=boundaries, output_mode="one_hot")(x[:, :1])
    np.testing.assert_array_equal(numpy_of(fs, one_hot), np.eye(5)[np.digitize(x[:, 0], boundaries)])


@settings(max_examples=8, deadline=None)
@given(n=st.integers(2, 90), num_bins=st.integers(1, 6), seed=st.integers(0, 99))
def test_discretization_adapt_interpolates_the_quantiles_of_small_data(fs, n, num_bins, seed):
    """Fewer than 1/epsilon values: the summary is every sorted value (float32) with weight 1, and boundary j is
    their linear interpolation at the cumulative fraction j / num_bins (fractions k / n)."""
    x = np.random.default_rng(seed).normal(size=(n, 1))
    layer = fs.layers.Discretization(num_bins=num_bins)
    layer.adapt(x)
    values = np.sort(x.ravel().astype("float32")).astype("float64")
    if n < num_bins:  # a summary shorter than num_bins is kept: every value but the last
        expected = values[:-1]
    else:
        expected = np.interp(np.arange(1, num_bins) / num_bins, np.arange(1, n + 1) / n, values)
    np.testing.assert_allclose(layer.bin_boundaries, expected, rtol=1e-6, atol=1e-6)
    assert list(layer.bin_boundaries) == sorted(layer.bin_boundaries)


def test_an_adapted_discretization_rebuilds_from_its_config(fs):
    layer = fs.layers.Discretization(num_bins=3, output_mode="one_hot")
    layer.adapt(np.arange(30.0).reshape(10, 3))
    clone = fs.layers.Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 3
    x = np.linspace(-1, 31, 12).reshape(4, 3)
    np.testing.assert_array_equal(numpy_of(fs, clone(x)), numpy_of(fs, layer(x)))


# -- CategoryEncoding ----------------------------------------------------------------------------------------------
def test_category_encoding_modes_against_numpy(fs, precision):
    x = np.array([[0, 1, 1, 3], [2, 2, 2, 0]])
    counts = np.stack([np.bincount(row, minlength=5) for row in x])
    for mode, expected in (("count", counts), ("multi_hot", np.minimum(counts, 1)), ("binary", np.minimum(counts, 1))):
        out = fs.layers.CategoryEncoding(num_tokens=5, output_mode=mode)(x)
        assert fs.ops.dtype(out) == precision
        np.testing.assert_array_equal(numpy_of(fs, out), expected)
    np.testing.assert_array_equal(numpy_of(fs, fs.layers.CategoryEncoding(5, output_mode="one_hot")(x[:, :1])),
                                  np.eye(5)[x[:, 0]])
    np.testing.assert_array_equal(numpy_of(fs, fs.layers.CategoryEncoding(5, output_mode="one_hot")(x[0])),
                                  np.eye(5)[x[0]])
    np.testing.assert_array_equal(numpy_of(fs, fs.layers.CategoryEncoding(5)(x[0])), np.minimum(counts[0], 1))
    weights = np.array([[0.5, 1.0, 2.0, 0.25], [1.0, 1.0, 1.0, 3.0]])
    weighted = fs.layers.CategoryEncoding(5, output_mode="count")(x, count_weights=weights)
    expected = np.stack([np.bincount(row, w, minlength=5) for row, w in zip(x, weights)])
    np.testing.assert_allclose(numpy_of(fs, weighted), expected, **tolerance(precision))


# -- Resizing and CenterCrop -------------------------------------------------------------------------------------------
def bilinear_reference(image, height, width):
    """A loop over the output pixels: half-pixel centres, neighbours clamped to the image (channels_last, one
    image)."""
    h_in, w_in, _ = image.shape
    out = np.zeros((height, width, image.shape[2]))
    for i in range(height):
        for j in range(width):
            y = (i + 0.5) * h_in / height - 0.5
            x = (j + 0.5) * w_in / width - 0.5
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            fy, fx = y - y0, x - x0
            value = 0.0
            for dy, wy in ((0, 1 - fy), (1, fy)):
                for dx, wx in ((0, 1 - fx), (1, fx)):
                    yy, xx = min(max(y0 + dy, 0), h_in - 1), min(max(x0 + dx, 0), w_in - 1)
                    value = value + wy * wx * image[yy, xx]
            out[i, j] = value
    return out


@settings(max_examples=4, deadline=None)  # each shape compiles anew on JAX
@given(size_in=st.tuples(st.integers(1, 5), st.integers(1, 5)), size_out=st.tuples(st.integers(1, 6),
                                                                                      st.integers(1, 6)))
def test_bilinear_resizing_samples_half_pixel_centres_with_clamped_edges(fs, precision, size_in, size_out):
    images = rand(2, *size_in, 2, seed=sum(size_in))
    out = numpy_of(fs, fs.layers.Resizing(*size_out)(images))
    expected = np.stack([bilinear_reference(image, *size_out) for image in images])
    np.testing.assert_allclose(out, expected, **tolerance(precision))
    first = fs.layers.Resizing(*size_out, data_format="channels_first")(np.transpose(images, (0, 3, 1, 2)))
    np.testing.assert_allclose(numpy_of(fs, first), np.transpose(expected, (0, 3, 1, 2)), **tolerance(precision))


def test_nearest_resizing_takes_the_floor_of_the_half_pixel_centre(fs):
    images = rand(1, 3, 5, 1, seed=2)
    out = numpy_of(fs, fs.layers.Resizing(4, 2, interpolation="nearest")(images))
    rows, columns = np.floor((np.arange(4) + 0.5) * 3 / 4).astype(int), np.floor((np.arange(2) + 0.5) * 5 / 2)
    np.testing.assert_array_equal(out, images.astype(out.dtype)[:, rows][:, :, columns.astype(int)])
    ints = fs.layers.Resizing(2, 2, interpolation="nearest")(np.arange(16, dtype="int32").reshape(1, 4, 4, 1))
    assert fs.ops.dtype(ints) == "int32"


def test_crop_to_aspect_ratio_takes_the_centred_box_first(fs, precision):
    images = rand(2, 6, 4, 3, seed=4)  # 6 x 4 to 2 x 2: the centred 4 x 4 box, then bilinear
    out = fs.layers.Resizing(2, 2, crop_to_aspect_ratio=True)(images)
    expected = np.stack([bilinear_reference(image[1:5], 2, 2) for image in images])
    np.testing.assert_allclose(numpy_of(fs, out), expected, **tolerance(precision))


def test_center_crop_is_the_centred_window_or_a_smart_resize(fs, precision):
    images = rand(2, 5, 6, 1, seed=5)
    np.testing.assert_array_equal(numpy_of(fs, fs.layers.CenterCrop(3, 3)(images)),
                                  images[:, 1:4, 1:4].astype(precision))
    first = fs.layers.CenterCrop(2, 5, data_format="channels_first")(np.transpose(images, (0, 3, 1, 2)))
    np.testing.assert_array_equal(numpy_of(fs, first), np.transpose(images[:, 1:3, 0:5], (0, 3, 1, 2)).astype(
        precision))
    larger = fs.layers.CenterCrop(8, 3)(images)  # taller than the image: the centred 5 x 1 box (8:3), resized
    expected = np.stack([bilinear_reference(image[:, 2:3], 8, 3) for image in images])
    np.testing.assert_allclose(numpy_of(fs, larger), expected, **tolerance(precision))


# -- the random layers ---------------------------------------------------------------------------------------------
def test_random_flip_is_the_identity_at_inference_and_flips_whole_images_in_training(fs, precision):
    images = rand(8, 3, 4, 2, seed=6)
    for mode, axes in (("horizontal", (2,)), ("vertical", (1,)), ("horizontal_and_vertical", (1, 2))):
        layer = fs.layers.RandomFlip(mode, seed=7)
        np.testing.assert_array_equal(numpy_of(fs, layer(images, training=False)), images.astype(precision))
        out = numpy_of(fs, layer(images))  # training=True is the default, as in Keras
        flipped = np.flip(images, axis=axes).astype(precision)
        kinds = [bool(np.array_equal(o, f)) for o, f in zip(out, flipped)]
        for o, image, was_flipped in zip(out, images.astype(precision), kinds):
            assert was_flipped or np.array_equal(o, image)
        assert 0 < sum(kinds) < 8, mode
    model = fs.Sequential([fs.Input(shape=(3, 4, 2)), fs.layers.RandomFlip(seed=1)])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images.astype(precision))


def test_random_flip_of_a_seed_repeats_and_channels_first_flips_the_same_images(fs):
    images = rand(6, 3, 4, 2, seed=8)
    last = numpy_of(fs, fs.layers.RandomFlip("horizontal", seed=3)(images))
    again = numpy_of(fs, fs.layers.RandomFlip("horizontal", seed=3)(images))
    first = numpy_of(fs, fs.layers.RandomFlip("horizontal", seed=3, data_format="channels_first")(
        np.transpose(images, (0, 3, 1, 2))))
    np.testing.assert_array_equal(last, again)
    np.testing.assert_array_equal(np.transpose(first, (0, 2, 3, 1)), last)


def test_random_crop_takes_one_window_per_batch_in_training_and_the_centred_resize_otherwise(fs, precision):
    images = rand(4, 6, 7, 2, seed=12)
    layer = fs.layers.RandomCrop(3, 4, seed=6)
    out = numpy_of(fs, layer(images))
    windows = [(top, left) for top in range(4) for left in range(4)
               if np.array_equal(out, images[:, top:top + 3, left:left + 4].astype(precision))]
    assert len(windows) == 1  # every image of the batch through the same window
    inference = numpy_of(fs, layer(images, training=False))  # the centred 6 x 7 box of ratio 3:4 is 5 x 7, resized
    expected = np.stack([bilinear_reference(image[0:5], 3, 4) for image in images])
    np.testing.assert_allclose(inference, expected, **tolerance(precision))
    model = fs.Sequential([fs.Input(shape=(6, 7, 2)), fs.layers.RandomCrop(3, 4, seed=1)])
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, **tolerance(precision))
    first = fs.layers.RandomCrop(3, 4, seed=6, data_format="channels_first")(np.transpose(images, (0, 3, 1, 2)))
    np.testing.assert_array_equal(np.transpose(numpy_of(fs, first), (0, 2, 3, 1)), out)


def test_random_brightness_adds_one_delta_per_image_within_its_range_and_clips(fs, precision):
    images = rand(8, 3, 4, 2, seed=10)
    layer = fs.layers.RandomBrightness((-0.2, 0.1), value_range=(-100, 100), seed=4)
    np.testing.assert_array_equal(numpy_of(fs, layer(images, training=False)), images.astype(precision))
    delta = numpy_of(fs, layer(images)) - images
    per_image = delta.reshape(8, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1] * np.ones_like(per_image), atol=1e-12 if precision ==
                               "float64" else 1e-4)
    assert np.all(per_image >= -40.0 - 1e-4) and np.all(per_image <= 20.0 + 1e-4) and np.ptp(per_image[:, 0]) > 0
    clipped = numpy_of(fs, fs.layers.RandomBrightness(1.0, value_range=(0, 1), seed=4)(images))
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


def test_random_contrast_scales_each_channel_about_its_mean(fs, precision):
    images = rand(8, 3, 4, 2, seed=11)
    for data_format, x, axes in (("channels_last", images, (1, 2)),
                                 ("channels_first", np.transpose(images, (0, 3, 1, 2)), (2, 3))):
        layer = fs.layers.RandomContrast(0.5, value_range=(-100, 100), seed=5, data_format=data_format)
        np.testing.assert_array_equal(numpy_of(fs, layer(x, training=False)), x.astype(precision))
        out = numpy_of(fs, layer(x))
        mean = x.mean(axis=axes, keepdims=True)
        factor = ((out - mean) / (x - mean)).reshape(8, -1)
        np.testing.assert_allclose(factor, factor[:, :1] * np.ones_like(factor), rtol=1e-9 if precision ==
                                   "float64" else 1e-3)
        assert np.all(factor >= 0.5 - 1e-6) and np.all(factor <= 1.5 + 1e-6) and factor[:, 0].min() < 1.0
        np.testing.assert_allclose(out.mean(axis=axes), x.mean(axis=axes), **tolerance(precision))


# -- configs and saving -------------------------------------------------------------------------------------------
def test_a_model_of_preprocessing_layers_saves_and_loads(fs, tmp_path):
    x = rand(6, 4, 4, 2, seed=9)
    normalization = fs.layers.Normalization(axis=-1)
    normalization.adapt(x)
    model = fs.Sequential([
        fs.Input(shape=(4, 4, 2)), fs.layers.Rescaling([0.5, 2.0], offset=0.1), normalization,
        fs.layers.Resizing(3, 5), fs.layers.CenterCrop(2, 4, name="crop"), fs.layers.RandomFlip("vertical", seed=2),
        fs.layers.RandomContrast((0.1, 0.3), seed=3), fs.layers.RandomBrightness(0.2, value_range=(-5, 5), seed=4),
        fs.layers.Flatten(), fs.layers.Dense(2),
    ])
    saves_and_loads(fs, model, x, tmp_path)
    for layer in model.layers:
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config(), layer.name


# -- bad arguments ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs", "argument"), [
    ("Rescaling", {"scale": "x"}, "scale"), ("Rescaling", {"scale": 1.0, "offset": float("nan")}, "offset"),
    ("Normalization", {"mean": 1.0}, "variance"), ("Normalization", {"axis": "x"}, "axis"),
    ("Normalization", {"mean": [1.0, 2.0], "variance": [1.0]}, "variance"),
    ("Normalization", {"axis": None, "mean": [1.0], "variance": [1.0]}, "mean"),
    ("Discretization", {}, "bin_boundaries"), ("Discretization", {"bin_boundaries": [1.0], "num_bins": 2},
                                               "bin_boundaries"),
    ("Discretization", {"bin_boundaries": [2.0, 1.0]}, "bin_boundaries"),
    ("Discretization", {"num_bins": -1}, "num_bins"), ("Discretization", {"num_bins": 2, "sparse": True}, "sparse"),
    ("Discretization", {"num_bins": 2, "output_mode": "tf_idf"}, "output_mode"),
    ("CategoryEncoding", {}, "num_tokens"), ("CategoryEncoding", {"num_tokens": 0}, "num_tokens"),
    ("CategoryEncoding", {"num_tokens": 3, "output_mode": "int"}, "output_mode"),
    ("CategoryEncoding", {"num_tokens": 3, "sparse": True}, "sparse"),
    ("Resizing", {"height": 0, "width": 2}, "height"),
    ("Resizing", {"height": 2, "width": 2, "interpolation": "bicubic"}, "interpolation"),
    ("Resizing", {"height": 2, "width": 2, "pad_to_aspect_ratio": True}, "pad_to_aspect_ratio"),
    ("Resizing", {"height": 2, "width": 2, "antialias": True}, "antialias"),
    ("Resizing", {"height": 2, "width": 2, "data_format": "nhwc"}, "data_format"),
    ("CenterCrop", {"height": 2, "width": 2.5}, "width"),
    ("RandomFlip", {"mode": "diagonal"}, "mode"), ("RandomFlip", {"seed": -1}, "seed"),
    ("RandomCrop", {"height": 2, "width": 0}, "width"), ("RandomCrop", {"height": 2, "width": 2, "seed": 1.5}, "seed"),
    ("RandomContrast", {"factor": 1.5}, "factor"), ("RandomContrast", {"factor": (-0.1, 0.2)}, "factor"),
    ("RandomBrightness", {"factor": (0.1, 0.2, 0.3)}, "factor"), ("RandomBrightness", {"factor": "x"}, "factor"),
    ("RandomBrightness", {"factor": 0.1, "value_range": 255}, "value_range"),
])
def test_bad_arguments_are_refused_by_name(fs, name, kwargs, argument):
    with pytest.raises(ValueError, match=rf"argument `{argument}` expected"):
        getattr(fs.layers, name)(**kwargs)


def test_bad_calls_are_refused_by_name(fs):
    with pytest.raises(ValueError, match=r"argument `bin_boundaries` expected"):
        fs.layers.Discretization(num_bins=3)(np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"argument `num_bins` expected"):
        fs.layers.Discretization(bin_boundaries=[0.0]).adapt(np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"argument `inputs` expected images of rank 3 or 4"):
        fs.layers.Resizing(2, 2)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"argument `inputs` expected float images"):
        fs.layers.Resizing(2, 2)(np.zeros((1, 3, 3, 1), dtype="int32"))
    with pytest.raises(ValueError, match=r"argument `count_weights` expected"):
        fs.layers.CategoryEncoding(3)(np.zeros((2, 2), dtype="int32"), count_weights=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"argument `data` expected"):
        fs.layers.Normalization().adapt([])

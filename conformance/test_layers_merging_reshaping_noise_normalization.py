"""The merging, reshaping, noise and normalization layers: output shapes (eager, compute_output_shape, symbolic),
values against numpy formulas (hypothesis over shapes and arguments), the noise layers' draws and training-only
rule, config and save round trips, and bad arguments (docs/SPEC.md 8d.8-8d.11)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.assertions import assert_refused_by_name
from conformance.test_layers import saves_and_loads


def numpy_of(fs, x):
    return np.asarray(fs.ops.convert_to_numpy(x))


def tolerance(precision):
    return {"rtol": 1e-12, "atol": 1e-12} if precision == "float64" else {"rtol": 2e-5, "atol": 2e-6}


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# -- shapes ----------------------------------------------------------------------------------------------------------
SHAPES = [  # (layer name, kwargs, input shape(s) without batch, output shape without batch)
    ("Add", {}, [(3, 4), (3, 4), (1, 4)], (3, 4)),
    ("Add", {}, [(3, 4), (4,)], (3, 4)),
    ("Subtract", {}, [(5,), (5,)], (5,)),
    ("Multiply", {}, [(2, 1), (2, 3)], (2, 3)),
    ("Average", {}, [(4,), (4,), (4,)], (4,)),
    ("Maximum", {}, [(2, 3), (2, 3)], (2, 3)),
    ("Minimum", {}, [(6,), (1,)], (6,)),
    ("Dot", {"axes": 1}, [(5,), (5,)], (1,)),
    ("Dot", {"axes": (2, 1)}, [(3, 4), (4, 6)], (3, 6)),
    ("Dot", {"axes": (1, 1), "normalize": True}, [(3, 4), (3, 2, 5)], (4, 2, 5)),
    ("Dot", {"axes": -1}, [(3, 4), (4,)], (3,)),
    ("Concatenate", {"axis": 1}, [(3, 4), (2, 4)], (5, 4)),
    ("Permute", {"dims": (2, 1)}, (3, 4), (4, 3)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4), (4, 2, 3)),
    ("RepeatVector", {"n": 3}, (4,), (3, 4)),
    ("UpSampling1D", {}, (3, 2), (6, 2)),
    ("UpSampling1D", {"size": 3}, (3, 2), (9, 2)),
    ("UpSampling2D", {}, (3, 2, 1), (6, 4, 1)),
    ("UpSampling2D", {"size": (1, 3), "interpolation": "bilinear"}, (3, 2, 1), (3, 6, 1)),
    ("UpSampling2D", {"size": 2, "data_format": "channels_first"}, (1, 3, 2), (1, 6, 4)),
    ("UpSampling3D", {}, (1, 2, 3, 2), (2, 4, 6, 2)),
    ("UpSampling3D", {"size": (2, 1, 1), "data_format": "channels_first"}, (2, 1, 2, 3), (2, 2, 2, 3)),
    ("ZeroPadding1D", {}, (3, 2), (5, 2)),
    ("ZeroPadding1D", {"padding": (0, 2), "data_format": "channels_first"}, (3, 2), (3, 4)),
    ("ZeroPadding2D", {}, (3, 2, 1), (5, 4, 1)),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (3, 2, 1), (4, 7, 1)),
    ("ZeroPadding2D", {"padding": (1, 2), "data_format": "channels_first"}, (1, 3, 2), (1, 5, 6)),
    ("ZeroPadding3D", {}, (1, 2, 3, 2), (3, 4, 5, 2)),
    ("ZeroPadding3D", {"padding": (1, (0, 2), 0)}, (1, 2, 3, 2), (3, 4, 3, 2)),
    ("Cropping1D", {}, (4, 2), (2, 2)),
    ("Cropping1D", {"cropping": (0, 3)}, (4, 2), (1, 2)),
    ("Cropping2D", {"cropping": ((1, 0), (0, 2))}, (3, 4, 2), (2, 2, 2)),
    ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, (2, 3, 4), (2, 1, 2)),
    ("Cropping3D", {}, (3, 4, 5, 1), (1, 2, 3, 1)),
    ("Cropping3D", {"cropping": (0, (1, 1), 2), "data_format": "channels_first"}, (1, 3, 4, 5), (1, 3, 2, 1)),
    ("Flatten", {"data_format": "channels_first"}, (2, 3, 4), (24,)),
    ("Identity", {}, (2, 3), (2, 3)),
    ("UnitNormalization", {"axis": [1, 2]}, (2, 3), (2, 3)),
    ("GroupNormalization", {"groups": 2}, (3, 4), (3, 4)),
    ("RMSNormalization", {}, (3, 4), (3, 4)),
    ("GaussianNoise", {"stddev": 0.1}, (3, 4), (3, 4)),
    ("GaussianDropout", {"rate": 0.1}, (3, 4), (3, 4)),
    ("AlphaDropout", {"rate": 0.1}, (3, 4), (3, 4)),
    ("SpatialDropout1D", {"rate": 0.1}, (3, 4), (3, 4)),
    ("SpatialDropout2D", {"rate": 0.1}, (2, 3, 4), (2, 3, 4)),
    ("SpatialDropout3D", {"rate": 0.1, "data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 3, 4)),
    ("ActivityRegularization", {"l1": 0.1}, (3, 4), (3, 4)),
]


def _shape_id(entry):
    name, kwargs, shape, _ = entry
    return f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}-{shape}"


@pytest.mark.parametrize(("name", "kwargs", "shape", "expected"), SHAPES, ids=[_shape_id(s) for s in SHAPES])
def test_output_shapes_eager_computed_and_symbolic_agree(fs, name, kwargs, shape, expected):
    layer = getattr(fs.layers, name)(**kwargs)
    merged = isinstance(shape, list)
    x = [rand(2, *s, seed=i) for i, s in enumerate(shape)] if merged else rand(2, *shape)
    assert tuple(fs.ops.shape(layer(x, training=True) if "Noise" in name or "Dropout" in name else layer(x))) == (
        2, *expected)
    none_batch = [(None, *s) for s in shape] if merged else (None, *shape)
    assert tuple(layer.compute_output_shape(none_batch)) == (None, *expected)
    fresh = getattr(fs.layers, name)(**kwargs)
    symbolic = fresh([fs.Input(shape=s) for s in shape] if merged else fs.Input(shape=shape))
    assert tuple(symbolic.shape) == (None, *expected)


# -- merging ---------------------------------------------------------------------------------------------------------
FOLDS = {"Add": np.add, "Multiply": np.multiply, "Maximum": np.maximum, "Minimum": np.minimum}


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from([*FOLDS, "Average", "Subtract"]), count=st.integers(2, 4), rows=st.integers(1, 3),
       cols=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_merge_layers_fold_their_inputs_left_to_right(fs, precision, name, count, rows, cols, seed):
    count = 2 if name == "Subtract" else count
    inputs = [rand(rows, cols, seed=seed + i) for i in range(count)]
    out = numpy_of(fs, getattr(fs.layers, name.lower())(inputs))
    if name == "Average":
        expected = sum(inputs[1:], inputs[0]) / count
    elif name == "Subtract":
        expected = inputs[0] - inputs[1]
    else:
        expected = inputs[0]
        for x in inputs[1:]:
            expected = FOLDS[name](expected, x)
    np.testing.assert_allclose(out, expected, **tolerance(precision))


def test_an_input_of_lower_rank_gains_axes_after_the_batch_axis(fs, precision):
    a, b = rand(2, 3, 4), rand(2, 4, seed=1)
    np.testing.assert_allclose(numpy_of(fs, fs.layers.Add()([a, b])), a + b[:, None, :], **tolerance(precision))
    c = rand(2, 3, seed=2)
    np.testing.assert_allclose(numpy_of(fs, fs.layers.Multiply()([rand(2, 3, 1), c])),
                               rand(2, 3, 1) * c[:, None, :], **tolerance(precision))


@settings(max_examples=6, deadline=None)  # each shape compiles anew on JAX
@given(rank_x=st.integers(2, 4), rank_y=st.integers(2, 4), data=st.data())
def test_dot_is_the_batchwise_sum_of_products_over_its_axes(fs, precision, rank_x, rank_y, data):
    a1, a2 = data.draw(st.integers(1, rank_x - 1)), data.draw(st.integers(1, rank_y - 1))
    size = data.draw(st.integers(1, 4))
    shape_x = [2] + [data.draw(st.integers(1, 3)) for _ in range(rank_x - 1)]
    shape_y = [2] + [data.draw(st.integers(1, 3)) for _ in range(rank_y - 1)]
    shape_x[a1], shape_y[a2] = size, size
    normalize = data.draw(st.booleans())
    x, y = rand(*shape_x, seed=1), rand(*shape_y, seed=2)
    negative = data.draw(st.booleans())
    axes = (a1 - rank_x, a2 - rank_y) if negative else (a1, a2)
    out = numpy_of(fs, fs.layers.Dot(axes=axes, normalize=normalize)([x, y]))
    if normalize:
        x = x / np.sqrt(np.maximum(np.sum(x**2, axis=a1, keepdims=True), 1e-14))
        y = y / np.sqrt(np.maximum(np.sum(y**2, axis=a2, keepdims=True), 1e-14))
    expected = np.stack([np.tensordot(x[i], y[i], axes=(a1 - 1, a2 - 1)) for i in range(2)])
    expected = expected.reshape(2, -1) if expected.ndim == 1 else expected
    np.testing.assert_allclose(out, expected, **tolerance(precision))


def test_dot_of_two_vectors_is_a_column_and_normalized_it_is_the_cosine(fs, precision):
    x, y = rand(3, 5), rand(3, 5, seed=1)
    out = numpy_of(fs, fs.layers.dot([x, y], axes=1, normalize=True))
    cosine = np.sum(x * y, axis=1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    assert out.shape == (3, 1)
    np.testing.assert_allclose(out[:, 0], cosine, **tolerance(precision))


# -- reshaping -------------------------------------------------------------------------------------------------------
def test_reshaping_layers_move_entries_as_numpy_does(fs, precision):
    x3, x4, x5 = rand(2, 3, 4), rand(2, 3, 4, 2, seed=1), rand(2, 2, 3, 2, 2, seed=2)
    cases = [
        (fs.layers.Permute((2, 1)), x3, np.transpose(x3, (0, 2, 1))),
        (fs.layers.RepeatVector(3), x3[:, 0], np.repeat(x3[:, :1], 3, axis=1)),
        (fs.layers.UpSampling1D(2), x3, np.repeat(x3, 2, axis=1)),
        (fs.layers.UpSampling2D((2, 3)), x4, np.repeat(np.repeat(x4, 2, axis=1), 3, axis=2)),
        (fs.layers.UpSampling2D(2, data_format="channels_first"), x4, np.repeat(np.repeat(x4, 2, axis=2), 2, axis=3)),
        (fs.layers.UpSampling3D((1, 2, 2)), x5, np.repeat(np.repeat(x5, 2, axis=2), 2, axis=3)),
        (fs.layers.ZeroPadding1D((1, 2)), x3, np.pad(x3, ((0, 0), (1, 2), (0, 0)))),
        (fs.layers.ZeroPadding1D(1, data_format="channels_first"), x3, np.pad(x3, ((0, 0), (0, 0), (1, 1)))),
        (fs.layers.ZeroPadding2D(((0, 1), (2, 0))), x4, np.pad(x4, ((0, 0), (0, 1), (2, 0), (0, 0)))),
        (fs.layers.ZeroPadding3D((1, 0, (0, 2))), x5, np.pad(x5, ((0, 0), (1, 1), (0, 0), (0, 2), (0, 0)))),
        (fs.layers.Cropping1D((1, 1)), x3, x3[:, 1:2]),
        (fs.layers.Cropping2D(((1, 0), (0, 1)), data_format="channels_first"), x4, x4[:, :, 1:, :1]),
        (fs.layers.Cropping3D(((1, 0), (0, 1), (1, 0))), x5, x5[:, 1:, :2, 1:]),
        (fs.layers.Flatten(data_format="channels_first"), x4, np.transpose(x4, (0, 2, 3, 1)).reshape(2, -1)),
        (fs.layers.Identity(), x3, x3),
    ]
    for layer, x, expected in cases:
        np.testing.assert_allclose(numpy_of(fs, layer(x)), expected, **tolerance(precision), err_msg=layer.name)


def bilinear_reference(x, size):
    """A loop over one axis: output o reads position (o + 0.5) / size - 0.5, clamped to [0, n - 1], between its two
    neighbours."""
    n = x.shape[1]
    out = np.empty((x.shape[0], n * size, *x.shape[2:]))
    for o in range(n * size):
        position = min(max((o + 0.5) / size - 0.5, 0.0), n - 1.0)
        low = int(math.floor(position))
        high = min(low + 1, n - 1)
        out[:, o] = x[:, low] * (1 - (position - low)) + x[:, high] * (position - low)
    return out


@settings(max_examples=5, deadline=None)  # each shape compiles anew on JAX
@given(height=st.integers(1, 4), width=st.integers(1, 4), size=st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_bilinear_upsampling_interpolates_between_half_pixel_centres(fs, precision, height, width, size):
    x = rand(2, height, width, 2)
    expected = np.swapaxes(bilinear_reference(np.swapaxes(bilinear_reference(x, size[0]), 1, 2), size[1]), 1, 2)
    out = numpy_of(fs, fs.layers.UpSampling2D(size, interpolation="bilinear")(x))
    np.testing.assert_allclose(out, expected, **tolerance(precision))


# -- normalization ---------------------------------------------------------------------------------------------------
def test_group_normalization_normalizes_each_group_of_channels_per_sample(fs, precision):
    x = rand(3, 5, 6)
    layer = fs.layers.GroupNormalization(groups=3, epsilon=0.01)
    gamma, beta = rand(6, seed=1), rand(6, seed=2)
    layer(x)
    layer.set_weights([gamma, beta])
    groups = x.reshape(3, 5, 3, 2)
    mean = groups.mean(axis=(1, 3), keepdims=True)
    variance = ((groups - mean) ** 2).mean(axis=(1, 3), keepdims=True)
    expected = ((groups - mean) / np.sqrt(variance + 0.01)).reshape(3, 5, 6) * gamma + beta
    np.testing.assert_allclose(numpy_of(fs, layer(x)), expected, **tolerance(precision))
    assert [w.name for w in layer.weights] == ["gamma", "beta"]


def test_group_normalization_of_minus_one_groups_normalizes_each_channel(fs, precision):
    x = rand(2, 4, 3, 5)
    out = numpy_of(fs, fs.layers.GroupNormalization(groups=-1, axis=1, center=False, scale=False)(x))
    mean, variance = x.mean(axis=(2, 3), keepdims=True), x.var(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3), **tolerance(precision))


def test_rms_normalization_divides_by_the_root_mean_square(fs, precision):
    x = rand(3, 4, 5)
    layer = fs.layers.RMSNormalization(axis=[1, 2], epsilon=0.01)
    layer(x)
    scale = rand(4, 5, seed=3)
    layer.set_weights([scale])
    expected = x / np.sqrt((x**2).mean(axis=(1, 2), keepdims=True) + 0.01) * scale
    np.testing.assert_allclose(numpy_of(fs, layer(x)), expected, **tolerance(precision))
    assert [w.name for w in layer.weights] == ["scale"]


def test_unit_normalization_gives_unit_norms_and_leaves_zeros(fs, precision):
    x = rand(3, 4)
    x[1] = 0.0
    out = numpy_of(fs, fs.layers.UnitNormalization()(x))
    np.testing.assert_allclose(np.linalg.norm(out[[0, 2]], axis=1), 1.0, **tolerance(precision))
    np.testing.assert_array_equal(out[1], 0.0)


# -- noise -----------------------------------------------------------------------------------------------------------
NOISE = [("GaussianNoise", {"stddev": 0.5}), ("GaussianDropout", {"rate": 0.4}), ("AlphaDropout", {"rate": 0.4}),
         ("SpatialDropout1D", {"rate": 0.5}), ("SpatialDropout2D", {"rate": 0.5}),
         ("SpatialDropout3D", {"rate": 0.5})]
NOISE_RANK = {"SpatialDropout2D": 4, "SpatialDropout3D": 5}


def noise_input(name):
    return rand(*(4, 3, 5, 2, 3)[:NOISE_RANK.get(name, 3)]) + 2.0


@pytest.mark.parametrize(("name", "kwargs"), NOISE, ids=[n for n, _ in NOISE])
def test_noise_layers_are_the_identity_in_inference_and_differ_at_every_training_call(fs, name, kwargs):
    layer = getattr(fs.layers, name)(seed=3, **kwargs)
    x = noise_input(name)
    np.testing.assert_array_equal(numpy_of(fs, layer(x)), x.astype(fs.config.floatx()))
    first, second = numpy_of(fs, layer(x, training=True)), numpy_of(fs, layer(x, training=True))
    assert not np.array_equal(first, second) and not np.allclose(first, x)
    assert layer.get_weights() == [] and len(layer.non_trainable_variables) == 1  # a seed state, not a weight


@pytest.mark.parametrize(("name", "kwargs"), NOISE, ids=[n for n, _ in NOISE])
def test_float32_and_float64_layers_draw_the_same_noise(fs, name, kwargs):
    x = noise_input(name)
    outputs = [numpy_of(fs, getattr(fs.layers, name)(seed=11, dtype=dtype, **kwargs)(x, training=True))
               for dtype in ("float32", "float64")]
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-6, atol=1e-6)


def test_gaussian_noise_and_dropout_add_and_multiply_the_seeded_float32_normals(fs, precision):
    x = rand(3, 4)
    normals = numpy_of(fs, fs.random.normal((3, 4), dtype="float32", seed=fs.random.SeedGenerator(21)))
    np.testing.assert_allclose(numpy_of(fs, fs.layers.GaussianNoise(0.3, seed=21)(x, training=True)),
                               x + (0.3 * normals.astype("float64")).astype("float32"), rtol=1e-6, atol=1e-6)
    stddev = math.sqrt(0.2 / 0.8)
    np.testing.assert_allclose(numpy_of(fs, fs.layers.GaussianDropout(0.2, seed=21)(x, training=True)),
                               x * (1 + stddev * normals), rtol=1e-6, atol=1e-6)


def test_alpha_dropout_keeps_or_saturates_and_preserves_mean_and_variance(fs):
    rate = 0.3
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    x = rand(200, 100)
    out = numpy_of(fs, fs.layers.AlphaDropout(rate, seed=4)(x, training=True))
    kept = np.isclose(out, a * x + b, rtol=1e-5, atol=1e-5)
    dropped = np.isclose(out, a * alpha_p + b, rtol=1e-5, atol=1e-5)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 5 * math.sqrt(rate * (1 - rate) / x.size)
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02  # SELU's self-normalising fixed point


@pytest.mark.parametrize(("name", "data_format", "shape", "kept_axes"), [
    ("SpatialDropout1D", None, (6, 5, 4), (0, 2)),
    ("SpatialDropout2D", None, (6, 3, 4, 5), (0, 3)),
    ("SpatialDropout2D", "channels_first", (6, 5, 3, 4), (0, 1)),
    ("SpatialDropout3D", None, (6, 2, 3, 2, 5), (0, 4)),
])
def test_spatial_dropout_drops_whole_feature_maps(fs, name, data_format, shape, kept_axes):
    kwargs = {} if data_format is None else {"data_format": data_format}
    x = rand(*shape) + 5.0
    out = numpy_of(fs, getattr(fs.layers, name)(0.5, seed=2, **kwargs)(x, training=True))
    dropped = out == 0
    spatial = tuple(d for d in range(len(shape)) if d not in kept_axes)
    assert np.all(dropped.all(axis=spatial) | (~dropped).all(axis=spatial))
    np.testing.assert_allclose(out[~dropped], (x * 2.0)[~dropped], rtol=1e-6)
    assert 0 < dropped.mean() < 1


def test_activity_regularization_adds_its_batch_normalized_loss(fs, precision):
    x = rand(4, 3)
    layer = fs.layers.ActivityRegularization(l1=0.1, l2=0.3)
    np.testing.assert_array_equal(numpy_of(fs, layer(x)), x.astype(precision))
    expected = (0.1 * np.abs(x).sum() + 0.3 * (x**2).sum()) / 4
    np.testing.assert_allclose(float(numpy_of(fs, layer.losses[0])), expected, **tolerance(precision))
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2, kernel_initializer="ones"), layer])
    model.compile(optimizer="sgd", loss="mse")
    hidden = x @ np.ones((3, 2))
    penalty = (0.1 * np.abs(hidden).sum() + 0.3 * (hidden**2).sum()) / 4
    loss = model.evaluate(x, np.zeros((4, 2)), verbose=0, batch_size=4)
    np.testing.assert_allclose(loss, (hidden**2).mean() + penalty, **tolerance(precision))


# -- save round trip (the config round trips: test_layers::test_config_round_trip) -----------------------------------
def test_a_model_of_these_layers_saves_and_loads_on_the_same_backend(fs, tmp_path):
    fs.utils.set_random_seed(12)
    inputs = fs.Input(shape=(4, 3))
    x = fs.layers.Dense(4)(inputs)
    x = fs.layers.GroupNormalization(2)(fs.layers.GaussianNoise(0.1, seed=1)(x))
    y = fs.layers.RMSNormalization()(fs.layers.UpSampling1D(2)(fs.layers.Cropping1D((1, 1))(x)))
    x = fs.layers.Permute((2, 1))(fs.layers.Add()([fs.layers.ZeroPadding1D((0, 0))(x), y]))
    x = fs.layers.Dot(axes=(1, 1), normalize=True)([x, fs.layers.SpatialDropout1D(0.2, seed=2)(x)])
    outputs = fs.layers.Dense(1)(fs.layers.Flatten()(fs.layers.UnitNormalization()(x)))
    model = fs.Model(inputs, outputs)
    data = np.random.default_rng(13).random((8, 4, 3))  # no fit: a compiled train step adds nothing here
    saves_and_loads(fs, model, data, tmp_path)


# -- bad arguments and inputs ----------------------------------------------------------------------------------------
BAD_ARGUMENTS = [
    ("Dot", {"axes": (1, 2, 3)}, "axes"), ("Dot", {"axes": 1.5}, "axes"), ("Dot", {"axes": 1, "normalize": 1},
                                                                            "normalize"),
    ("Permute", {"dims": (1, 3)}, "dims"), ("Permute", {"dims": (0, 1)}, "dims"), ("RepeatVector", {"n": 0}, "n"),
    ("RepeatVector", {"n": 2.0}, "n"), ("UpSampling1D", {"size": 0}, "size"), ("UpSampling2D", {"size": (2,)}, "size"),
    ("UpSampling2D", {"interpolation": "bicubic"}, "interpolation"),
    ("UpSampling3D", {"data_format": "channels_middle"}, "data_format"),
    ("ZeroPadding1D", {"padding": -1}, "padding"), ("ZeroPadding2D", {"padding": (1, 2, 3)}, "padding"),
    ("ZeroPadding3D", {"padding": ((1, 2, 3), 1, 1)}, "padding"), ("Cropping1D", {"cropping": (1, 2, 3)}, "cropping"),
    ("Cropping2D", {"cropping": 1.5}, "cropping"), ("Flatten", {"data_format": "nhwc"}, "data_format"),
    ("GaussianNoise", {"stddev": 1.5}, "stddev"), ("GaussianNoise", {"stddev": 0.1, "seed": -1}, "seed"),
    ("GaussianDropout", {"rate": 1.0}, "rate"), ("AlphaDropout", {"rate": -0.1}, "rate"),
    ("AlphaDropout", {"rate": 0.1, "noise_shape": (2.0,)}, "noise_shape"), ("SpatialDropout1D", {"rate": 1.5}, "rate"),
    ("SpatialDropout2D", {"rate": 0.5, "data_format": "nchw"}, "data_format"),
    ("ActivityRegularization", {"l1": "much"}, "l1"), ("GroupNormalization", {"groups": 0}, "groups"),
    ("GroupNormalization", {"axis": [1]}, "axis"),
    ("RMSNormalization", {"epsilon": 0}, "epsilon"), ("UnitNormalization", {"axis": "last"}, "axis"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), BAD_ARGUMENTS,
                         ids=[f"{n}-{a}-{k[a]!r}" for n, k, a in BAD_ARGUMENTS])
def test_bad_arguments_name_the_argument(fs, name, kwargs, argument):
    assert_refused_by_name(lambda: getattr(fs.layers, name)(**kwargs), name, argument)


BAD_INPUTS = [
    ("Add", {}, [(3,), (4,)], "shapes that broadcast"), ("Subtract", {}, [(3,), (3,), (3,)], "exactly 2"),
    ("Dot", {"axes": 1}, [(3,), (4,)], "equal lengths on axes"), ("Dot", {"axes": 0}, [(3,), (3,)], "non-batch axis"),
    ("Permute", {"dims": (2, 1)}, (3,), "rank 3"), ("RepeatVector", {"n": 2}, (3, 4), "rank 2"),
    ("UpSampling2D", {}, (3, 4), "rank 4"), ("ZeroPadding3D", {}, (3, 4, 2), "rank 5"),
    ("Cropping1D", {"cropping": (2, 2)}, (4, 3), "less than the input's length 4"),
    ("GroupNormalization", {"groups": 4}, (3, 6), "a divisor of the 6 channels"),
    ("SpatialDropout2D", {"rate": 0.5}, (3, 4), "rank 4"),
]


@pytest.mark.parametrize(("name", "kwargs", "shape", "message"), BAD_INPUTS,
                         ids=[f"{b[0]}-{b[3]}" for b in BAD_INPUTS])
def test_bad_inputs_name_the_expected_shape(fs, name, kwargs, shape, message):
    merged = isinstance(shape, list)
    x = [rand(2, *s) for s in shape] if merged else rand(2, *shape)
    with pytest.raises(ValueError, match=rf"argument `(inputs|cropping|groups|axes)` expected .*{message}"):
        getattr(fs.layers, name)(**kwargs)(x, training=True) if "Dropout" in name else getattr(fs.layers, name)(
            **kwargs)(x)
    with pytest.raises(ValueError, match=message):
        symbolic = [fs.Input(shape=s) for s in shape] if merged else fs.Input(shape=shape)
        getattr(fs.layers, name)(**kwargs)(symbolic, training=True) if "Dropout" in name else getattr(
            fs.layers, name)(**kwargs)(symbolic)

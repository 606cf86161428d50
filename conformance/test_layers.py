"""The layers of the guides: output shapes (padding, strides), values that pin each rule, BatchNormalization in
training and inference, config and save round trips, and bad input (docs/SPEC.md "Layers")."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.assertions import assert_refused_by_name


def numpy_of(fs, x):
    return fs.ops.convert_to_numpy(x)


# -- shapes --------------------------------------------------------------------------------------------------
SHAPES = [  # (layer name, kwargs, input shape without batch, output shape without batch)
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (9, 2), (7, 4)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (9, 2), (5, 4)),
    ("Conv1D", {"filters": 4, "kernel_size": 4, "strides": 3}, (9, 2), (2, 4)),
    ("Conv2D", {"filters": 3, "kernel_size": 3}, (7, 6, 2), (5, 4, 3)),
    ("Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (7, 6, 2), (4, 3, 3)),
    ("Conv2D", {"filters": 3, "kernel_size": (2, 3), "strides": (3, 1), "padding": "valid"}, (7, 6, 2), (2, 4, 3)),
    ("Conv2D", {"filters": 3, "kernel_size": 1, "padding": "same"}, (5, 5, 2), (5, 5, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (3, 4, 5), (6, 8, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (3, 4, 5), (7, 9, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 2, "strides": 3}, (3, 4, 5), (9, 12, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": (4, 1), "strides": (1, 2), "padding": "same"}, (3, 4, 5),
     (3, 8, 2)),
    ("MaxPooling2D", {}, (7, 6, 3), (3, 3, 3)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (7, 6, 3), (4, 3, 3)),
    ("MaxPooling2D", {"pool_size": (2, 3), "strides": 1}, (7, 6, 3), (6, 4, 3)),
    ("MaxPooling1D", {"pool_size": 3}, (10, 2), (3, 2)),
    ("GlobalMaxPooling1D", {}, (10, 2), (2,)),
    ("GlobalMaxPooling2D", {}, (7, 6, 3), (3,)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (7, 6, 3), (1, 1, 3)),
    ("GlobalAveragePooling1D", {}, (10, 2), (2,)),
    ("GlobalAveragePooling2D", {}, (7, 6, 3), (3,)),
    ("BatchNormalization", {}, (7, 6, 3), (7, 6, 3)),
    ("LayerNormalization", {"axis": [1, 2]}, (7, 6, 3), (7, 6, 3)),
    ("Embedding", {"input_dim": 10, "output_dim": 4}, (6,), (6, 4)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape", "expected"), SHAPES,
                         ids=[f"{s[0]}-{'-'.join(f'{k}={v}' for k, v in s[1].items())}-{s[2]}" for s in SHAPES])
def test_output_shapes_follow_padding_and_strides(fs, name, kwargs, shape, expected):
    layer = getattr(fs.layers, name)(**kwargs)
    if name == "Embedding":
        x = np.random.default_rng(0).integers(0, 10, size=(2, *shape))
    else:
        x = np.random.default_rng(0).random((2, *shape))
    out = layer(x)
    assert tuple(fs.ops.shape(out)) == (2, *expected)
    assert tuple(layer.compute_output_shape((None, *shape))) == (None, *expected)
    symbolic = layer(fs.Input(shape=shape, dtype="int32" if name == "Embedding" else None))
    assert tuple(symbolic.shape) == (None, *expected)


# -- values that pin the rules ---------------------------------------------------------------------------------
def test_same_padding_puts_the_odd_pixel_after(fs):
    """4x4 ones, 3x3 ones kernel, strides 2: pad_total = (2 - 1)*2 + 3 - 4 = 1, all of it after."""
    layer = fs.layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
    out = numpy_of(fs, layer(np.ones((1, 4, 4, 1))))
    np.testing.assert_array_equal(out[0, :, :, 0], [[9.0, 6.0], [6.0, 4.0]])


def test_conv1d_is_a_cross_correlation_not_a_convolution(fs):
    layer = fs.layers.Conv1D(1, 2, use_bias=False)
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
    layer(x)
    layer.set_weights([np.array([1.0, 10.0]).reshape(2, 1, 1)])
    out = numpy_of(fs, layer(x))
    np.testing.assert_array_equal(out.ravel(), [21.0, 32.0])  # x[i] + 10 x[i + 1]


def test_conv2d_transpose_same_crops_the_full_output_from_the_start(fs):
    """2x2 ones, 3x3 ones, strides 2: full overlap counts [1, 1, 2, 1, 1] per axis; 'same' keeps the first 4."""
    layer = fs.layers.Conv2DTranspose(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
    out = numpy_of(fs, layer(np.ones((1, 2, 2, 1))))
    counts = np.array([1.0, 1.0, 2.0, 1.0])
    np.testing.assert_array_equal(out[0, :, :, 0], np.outer(counts, counts))


def test_conv2d_transpose_valid_extends_with_zeros_when_the_kernel_is_shorter_than_the_stride(fs):
    layer = fs.layers.Conv2DTranspose(1, 1, strides=2, use_bias=False, kernel_initializer="ones")
    out = numpy_of(fs, layer(np.array([1.0, 2.0]).reshape(1, 2, 1, 1)))
    np.testing.assert_array_equal(out[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 0.0]])


def test_max_pooling_same_padding_never_wins(fs):
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    out = numpy_of(fs, fs.layers.MaxPooling2D(2, padding="same")(x))
    np.testing.assert_array_equal(out[0, :, :, 0], [[-1.0, -3.0], [-7.0, -9.0]])


def test_global_pooling_reduces_every_spatial_position(fs):
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(numpy_of(fs, fs.layers.GlobalMaxPooling2D()(x)), x.max(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(numpy_of(fs, fs.layers.GlobalAveragePooling2D()(x)), x.mean(axis=(1, 2)), rtol=1e-6)


def test_layer_normalization_normalizes_each_sample_with_the_biased_variance(fs, precision):
    x = np.random.default_rng(2).normal(size=(3, 4, 5)) * 3.0 + 1.0
    out = numpy_of(fs, fs.layers.LayerNormalization(axis=[1, 2])(x))
    mean = x.mean(axis=(1, 2), keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=(1, 2), keepdims=True)
    tol = 1e-12 if precision == "float64" else 1e-5
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3), rtol=tol, atol=tol)


def test_embedding_takes_rows_and_starts_uniform_within_0_05(fs):
    fs.utils.set_random_seed(4)
    layer = fs.layers.Embedding(50, 3)
    out = numpy_of(fs, layer(np.array([[0, 49, 7]])))
    table = layer.get_weights()[0]
    assert table.shape == (50, 3) and np.abs(table).max() <= 0.05 and table.std() > 0.02
    np.testing.assert_array_equal(out[0], table[[0, 49, 7]])
    np.testing.assert_array_equal(numpy_of(fs, layer(np.array([[7.0]]))), table[[[7]]])  # floats are cast to int


# -- BatchNormalization: training and inference ------------------------------------------------------------------
def test_batch_normalization_in_training_uses_the_batch_and_moves_the_statistics(fs, precision):
    layer = fs.layers.BatchNormalization()
    x = np.random.default_rng(5).normal(size=(8, 3)) * 2.0 + 0.5
    out = numpy_of(fs, layer(x, training=True))
    mean, variance = x.mean(axis=0), x.var(axis=0)
    tol = 1e-12 if precision == "float64" else 1e-5
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3), rtol=tol, atol=tol)
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.99 * 0.0 + 0.01 * mean, rtol=tol, atol=tol)
    np.testing.assert_allclose(moving_variance, 0.99 * 1.0 + 0.01 * variance, rtol=tol, atol=tol)  # biased variance
    assert [v.name for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert [v.name for v in layer.trainable_weights] == ["gamma", "beta"]


def test_batch_normalization_in_inference_uses_the_moving_statistics(fs, precision):
    layer = fs.layers.BatchNormalization(momentum=0.5)
    x = np.random.default_rng(6).normal(size=(4, 2))
    out = numpy_of(fs, layer(x))  # training defaults to inference
    tol = 1e-12 if precision == "float64" else 1e-6
    np.testing.assert_allclose(out, x / np.sqrt(1.0 + 1e-3), rtol=tol, atol=tol)
    np.testing.assert_array_equal(layer.get_weights()[2], [0.0, 0.0])  # inference leaves them alone
    layer.trainable = False
    frozen = numpy_of(fs, layer(x, training=True))  # a frozen layer runs in inference mode, as in Keras
    np.testing.assert_allclose(frozen, out, rtol=tol, atol=tol)
    np.testing.assert_array_equal(layer.get_weights()[2], [0.0, 0.0])


def test_batch_normalization_stateless_call_returns_the_new_statistics(fs):
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.BatchNormalization(momentum=0.5)])
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    _, (moving_mean, moving_variance) = model.stateless_call(trainable, non_trainable, x, training=True)
    np.testing.assert_allclose(numpy_of(fs, moving_mean), [1.0, 2.0])  # 0.5*0 + 0.5*[2, 4]
    np.testing.assert_allclose(numpy_of(fs, moving_variance), [1.0, 2.5])  # 0.5*1 + 0.5*[1, 4]
    np.testing.assert_array_equal(model.get_weights()[2], [0.0, 0.0])  # no variable changed


def test_fit_moves_the_statistics_and_evaluate_and_predict_do_not(fs):
    fs.utils.set_random_seed(7)
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(4), fs.layers.BatchNormalization(),
                           fs.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.default_rng(8).normal(size=(32, 3)), np.zeros((32, 1))
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    statistics = [w.copy() for w in model.get_weights()[4:6]]
    assert not np.allclose(statistics[0], 0.0) and not np.allclose(statistics[1], 1.0)
    first = model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    for before, after in zip(statistics, model.get_weights()[4:6]):
        np.testing.assert_array_equal(before, after)


# -- names, config and save round trips ------------------------------------------------------------------------
CONFIGURED = [
    ("Conv1D", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}),
    ("Conv2D", {"filters": 2, "kernel_size": (3, 1), "use_bias": False}),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 2, "strides": (2, 1)}),
    ("MaxPooling2D", {"pool_size": 3, "strides": 1, "padding": "same"}),
    ("GlobalAveragePooling1D", {"keepdims": True}),
    ("BatchNormalization", {"momentum": 0.9, "epsilon": 1e-2, "center": False}),
    ("LayerNormalization", {"axis": [1, 2], "epsilon": 1e-2, "scale": False}),
    ("Embedding", {"input_dim": 7, "output_dim": 2}),
    # the merging, reshaping, noise and normalization layers (docs/SPEC.md 8d.8-8d.11)
    ("Add", {}), ("Dot", {"axes": (1, 2), "normalize": True}), ("Permute", {"dims": (2, 1)}),
    ("RepeatVector", {"n": 4}), ("UpSampling1D", {"size": 3}),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear", "data_format": "channels_first"}),
    ("UpSampling3D", {"size": 2}), ("ZeroPadding1D", {"padding": (1, 2)}), ("ZeroPadding2D", {"padding": 2}),
    ("ZeroPadding3D", {"padding": (1, 2, (3, 4))}), ("Cropping1D", {"cropping": 2}),
    ("Cropping2D", {"cropping": ((1, 2), (3, 4))}), ("Cropping3D", {"cropping": 1, "data_format": "channels_first"}),
    ("Flatten", {"data_format": "channels_first"}), ("Identity", {}),
    ("GaussianNoise", {"stddev": 0.2, "seed": 3}), ("GaussianDropout", {"rate": 0.2}),
    ("AlphaDropout", {"rate": 0.2, "noise_shape": (None, 1), "seed": 1}), ("SpatialDropout1D", {"rate": 0.3}),
    ("SpatialDropout2D", {"rate": 0.3, "data_format": "channels_first", "seed": 2}),
    ("SpatialDropout3D", {"rate": 0.3}), ("ActivityRegularization", {"l1": 0.1, "l2": 0.2}),
    ("GroupNormalization", {"groups": 4, "axis": 1, "epsilon": 0.1, "center": False}),
    ("RMSNormalization", {"axis": [1, 2], "epsilon": 1e-3}), ("UnitNormalization", {"axis": [1, 2]}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGURED, ids=[c[0] for c in CONFIGURED])
def test_config_round_trip(fs, name, kwargs):
    cls = getattr(fs.layers, name)
    layer = cls(name=f"my_{name.lower()}", **kwargs)
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config and clone.name == layer.name


def test_a_model_of_every_new_layer_saves_and_loads_on_the_same_backend(fs, tmp_path):
    fs.utils.set_random_seed(9)
    tokens = fs.Input(shape=(6,), dtype="int32", name="tokens")
    image = fs.Input(shape=(6, 6, 1), name="image")
    a = fs.layers.GlobalMaxPooling1D()(fs.layers.Conv1D(3, 2)(fs.layers.Embedding(9, 3)(tokens)))
    b = fs.layers.Conv2D(2, 3, strides=2, padding="same")(image)
    b = fs.layers.Conv2DTranspose(2, 2, strides=2)(fs.layers.BatchNormalization()(b))
    b = fs.layers.GlobalAveragePooling2D()(fs.layers.MaxPooling2D()(b))
    x = fs.layers.LayerNormalization()(fs.layers.concatenate([a, b]))
    model = fs.Model([tokens, image], fs.layers.Dense(1, name="out")(x))
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(10)
    data = [rng.integers(0, 9, size=(8, 6)), rng.random((8, 6, 6, 1))]
    model.fit(data, rng.random((8, 1)), epochs=1, verbose=0)
    saves_and_loads(fs, model, data, tmp_path)
    assert type(model.get_layer("out")).__name__ == "Dense"


def saves_and_loads(fs, model, data, tmp_path):
    """`model` saved and loaded has its weights and predicts the same numbers on `data`."""
    path = tmp_path / "layers.keras"
    model.save(path)
    loaded = fs.models.load_model(path)
    for expected, actual in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


# -- bad input --------------------------------------------------------------------------------------------------
def test_conv2d_on_a_rank_3_input(fs):
    layer = fs.layers.Conv2D(2, 3, name="conv")
    with pytest.raises(ValueError, match=r"conv: argument `inputs` expected a tensor of rank 4 .*received <shape "
                                         r"\(2, 5, 3\)>"):
        layer(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"rank 4"):
        fs.Sequential([fs.Input(shape=(5, 3)), fs.layers.Conv2D(2, 3)])


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"kernel_size": 0}, "kernel_size"), ({"kernel_size": (3,)}, "kernel_size"), ({"kernel_size": 2.5}, "kernel_size"),
    ({"kernel_size": (3, -1)}, "kernel_size"), ({"kernel_size": 3, "strides": 0}, "strides"),
    ({"kernel_size": 3, "strides": (1, 0)}, "strides"), ({"kernel_size": 3, "strides": True}, "strides"),
    ({"kernel_size": 3, "padding": "causal"}, "padding"), ({"kernel_size": 3, "data_format": "channels_middle"},
                                                           "data_format"),
])
def test_conv2d_arguments_that_are_not_positive_ints(fs, kwargs, argument):
    assert_refused_by_name(lambda: fs.layers.Conv2D(2, **kwargs), "Conv2D", argument)


@pytest.mark.parametrize(("name", "kwargs", "argument"), [
    ("MaxPooling2D", {"pool_size": 0}, "pool_size"), ("MaxPooling2D", {"strides": (2, 0)}, "strides"),
    ("Conv1D", {"filters": 2, "kernel_size": (2, 2)}, "kernel_size"), ("Conv2D", {"filters": 0, "kernel_size": 2},
                                                                      "filters"),
    ("Embedding", {"input_dim": 0, "output_dim": 2}, "input_dim"),
])
def test_other_window_and_size_arguments(fs, name, kwargs, argument):
    assert_refused_by_name(lambda: getattr(fs.layers, name)(**kwargs), name, argument)


def test_embedding_index_out_of_range_is_an_error(fs, device):
    """Keras only supports indices in [0, input_dim); fitspec raises where the indices are readable (CPU, eager)."""
    layer = fs.layers.Embedding(5, 2, name="tokens")
    if device != "cpu":
        pytest.skip("on a GPU, out-of-range rows read as NaN instead (test_embedding_index_out_of_range_when_compiled)")
    with pytest.raises(ValueError, match=r"tokens: argument `inputs` expected indices in \[0, input_dim=5\); "
                                         r"received <index 5 at position \(0, 1\)"):
        layer(np.array([[1, 5]]))
    with pytest.raises(ValueError, match=r"received <index -1"):
        layer(np.array([[-1, 0]]))


def test_embedding_index_out_of_range_when_compiled_is_never_a_silent_number(fs):
    """Inside a compiled predict the indices cannot be read: the row is NaN (or the backend raises)."""
    model = fs.Sequential([fs.Input(shape=(2,), dtype="int32"), fs.layers.Embedding(5, 2)])
    try:
        out = model.predict(np.array([[1, 5], [0, 2]]), verbose=0)
    except ValueError as error:
        assert "input_dim=5" in str(error)
        return
    assert np.isnan(out[0, 1]).all() and np.isfinite(out[0, 0]).all() and np.isfinite(out[1]).all()

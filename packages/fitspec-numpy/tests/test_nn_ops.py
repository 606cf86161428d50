"""The reference's convolution, pooling and embedding ops: against loop-by-loop definitions, and their
gradients (through every new layer) against central finite differences, in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fitspec_numpy as fs
from fitspec import conv_arithmetic as arithmetic

GEOMETRIES = [  # (spatial shape, window, strides)
    ((7, 6), (3, 2), (2, 2)), ((5, 5), (3, 3), (1, 1)), ((6, 7), (4, 4), (2, 3)), ((4, 4), (2, 2), (3, 3)),
    ((3, 5), (1, 3), (2, 1)), ((9,), (3,), (2,)), ((8,), (4,), (1,)), ((5,), (2,), (3,)),
]


def slices(position, window, strides):
    return tuple(slice(o * s, o * s + k) for o, k, s in zip(position, window, strides))


def padded(x, window, strides, padding, value=0.0):
    pads = [arithmetic.padding_amounts(n, k, s, padding) for n, k, s in zip(x.shape[1:-1], window, strides)]
    return np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=value)


def conv_by_loops(x, kernel, strides, padding):
    window = kernel.shape[:-2]
    out_shape = [arithmetic.output_length(n, k, s, padding) for n, k, s in zip(x.shape[1:-1], window, strides)]
    xp = padded(x, window, strides, padding)
    out = np.zeros((x.shape[0], *out_shape, kernel.shape[-1]))
    for position in itertools.product(*map(range, out_shape)):
        patch = xp[(slice(None), *slices(position, window, strides))]
        out[(slice(None), *position)] = np.tensordot(patch, kernel, axes=len(window) + 1)
    return out


def max_pool_by_loops(x, pool, strides, padding):
    out_shape = [arithmetic.output_length(n, k, s, padding) for n, k, s in zip(x.shape[1:-1], pool, strides)]
    xp = padded(x, pool, strides, padding, -np.inf)
    out = np.zeros((x.shape[0], *out_shape, x.shape[-1]))
    for position in itertools.product(*map(range, out_shape)):
        window = xp[(slice(None), *slices(position, pool, strides))]
        out[(slice(None), *position)] = window.max(axis=tuple(range(1, len(pool) + 1)))
    return out


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("spatial", "window", "strides"), GEOMETRIES)
def test_conv_is_the_windowed_sum_of_products(spatial, window, strides, padding):
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=(2, *spatial, 3)), rng.normal(size=(*window, 3, 4))
    np.testing.assert_allclose(fs.ops.conv(x, kernel, strides, padding), conv_by_loops(x, kernel, strides, padding),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("spatial", "window", "strides"), GEOMETRIES)
def test_conv_transpose_is_the_adjoint_of_conv(spatial, window, strides, padding):
    """<conv(y, w), x> = <y, conv_transpose(x, w)> for y of conv_transpose's output shape."""
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=(2, *spatial, 4)), rng.normal(size=(*window, 3, 4))
    transposed = fs.ops.conv_transpose(x, kernel, strides, padding)
    expected_shape = [arithmetic.transpose_output_length(n, k, s, padding) for n, k, s in zip(spatial, window, strides)]
    assert transposed.shape == (2, *expected_shape, 3)
    y = rng.normal(size=transposed.shape)
    forward = fs.ops.conv(y, kernel, strides, padding)
    assert forward.shape == x.shape
    np.testing.assert_allclose(np.sum(forward * x), np.sum(y * transposed), rtol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("spatial", "window", "strides"), GEOMETRIES)
def test_max_pool_is_the_window_maximum(spatial, window, strides, padding):
    x = np.random.default_rng(2).normal(size=(2, *spatial, 3))
    np.testing.assert_array_equal(fs.ops.max_pool(x, window, strides, padding),
                                  max_pool_by_loops(x, window, strides, padding))


def test_same_padding_puts_the_odd_pixel_after():
    assert arithmetic.same_padding(6, 3, 2) == (0, 1)  # (ceil(6/2) - 1)*2 + 3 - 6 = 1
    assert arithmetic.same_padding(7, 4, 1) == (1, 2)
    assert arithmetic.same_padding(4, 2, 3) == (0, 1)
    assert arithmetic.same_padding(4, 1, 3) == (0, 0)


def test_embedding_lookup_takes_rows_and_refuses_out_of_range_indices():
    table = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(fs.ops.embedding_lookup(table, np.array([[3, 0]])), table[[[3, 0]]])
    with pytest.raises(IndexError, match=r"index 4 at position \(1,\), outside \[0, 4\)"):
        fs.ops.embedding_lookup(table, np.array([0, 4]))
    with pytest.raises(IndexError, match=r"index -1"):
        fs.ops.embedding_lookup(table, np.array([-1]))


# -- gradients through the layers ------------------------------------------------------------------------
LAYERS = {  # name -> (input shape, a function making the layers)
    "conv1d_same_strided": ((9, 2), lambda: [fs.layers.Conv1D(3, 3, strides=2, padding="same", activation="tanh")]),
    "conv2d_valid": ((6, 5, 2), lambda: [fs.layers.Conv2D(3, (3, 2))]),
    "conv2d_same_strided": ((7, 6, 2), lambda: [fs.layers.Conv2D(3, 3, strides=2, padding="same")]),
    "conv2d_transpose_same": ((3, 4, 2), lambda: [fs.layers.Conv2DTranspose(2, 3, strides=2, padding="same")]),
    "conv2d_transpose_valid": ((3, 3, 2), lambda: [fs.layers.Conv2DTranspose(2, (2, 3), strides=(3, 2))]),
    "max_pooling2d_same": ((5, 6, 2), lambda: [fs.layers.Conv2D(2, 2), fs.layers.MaxPooling2D(2, padding="same")]),
    "max_pooling1d": ((8, 2), lambda: [fs.layers.Conv1D(2, 2), fs.layers.MaxPooling1D(3, strides=2)]),
    "global_max_pooling": ((5, 4, 2), lambda: [fs.layers.Conv2D(3, 2), fs.layers.GlobalMaxPooling2D()]),
    "global_average_pooling": ((5, 4, 2), lambda: [fs.layers.Conv2D(3, 2), fs.layers.GlobalAveragePooling2D()]),
    "batch_normalization": ((4, 3), lambda: [fs.layers.Dense(3), fs.layers.BatchNormalization(momentum=0.5)]),
    "batch_normalization_axis_1": ((3, 4), lambda: [fs.layers.Dense(4), fs.layers.BatchNormalization(axis=1)]),
    "layer_normalization": ((4, 3), lambda: [fs.layers.Dense(3), fs.layers.LayerNormalization(axis=[1, 2])]),
}


def central_differences(f, values, eps=1e-6):
    grads = []
    for i, v in enumerate(values):
        g = np.zeros_like(v)
        for index in np.ndindex(v.shape):
            plus, minus = [w.copy() for w in values], [w.copy() for w in values]
            plus[i][index] += eps
            minus[i][index] -= eps
            g[index] = (f(plus) - f(minus)) / (2 * eps)
        grads.append(g)
    return grads


def assert_gradients_match(model, x, training):
    rng = np.random.default_rng(4)
    y = rng.normal(size=fs.ops.shape(model(x)))
    non_trainable = [v.numpy() for v in model.non_trainable_variables]

    def loss_of(values):
        y_pred, _ = model.stateless_call(values, non_trainable, x, training=training)
        return fs.ops.mean(fs.ops.square(y_pred - y)) * 10.0

    weights = [v.numpy() for v in model.trainable_variables]
    _, grads = fs.value_and_grad(loss_of)(weights)
    expected = central_differences(lambda values: float(loss_of(values)), weights)
    for g, e, v in zip(grads, expected, model.trainable_variables):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"d loss / d {v.path}")


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients_match_central_differences(name):
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(5)
    shape, layers = LAYERS[name]
    model = fs.Sequential([fs.Input(shape=shape), *layers()])
    model.trainable_variables[-1].assign(np.random.default_rng(6).normal(size=model.trainable_variables[-1].shape))
    x = np.random.default_rng(3).normal(size=(3, *shape))
    assert_gradients_match(model, x, training=True)


def test_embedding_gradient_accumulates_repeated_indices():
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(7)
    model = fs.Sequential([fs.Input(shape=(4,), dtype="int32"), fs.layers.Embedding(5, 2),
                           fs.layers.GlobalAveragePooling1D(), fs.layers.Dense(1)])
    assert_gradients_match(model, np.array([[0, 1, 1, 4], [2, 2, 2, 3]]), training=True)


def test_batch_normalization_gradient_in_inference_uses_the_moving_statistics():
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(8)
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(3), fs.layers.BatchNormalization()])
    model.non_trainable_variables[0].assign(np.array([0.1, -0.2, 0.3]))
    model.non_trainable_variables[1].assign(np.array([0.5, 2.0, 1.5]))
    assert_gradients_match(model, np.random.default_rng(9).normal(size=(4, 3)), training=False)

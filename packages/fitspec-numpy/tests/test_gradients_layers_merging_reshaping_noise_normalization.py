"""The merging, reshaping, noise and normalization layers' gradients (inputs and weights) agree with central finite
differences in float64, hypothesis over shapes and arguments (docs/SPEC.md 8d.8-8d.11)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_gradients import check_layer_gradients

import fitspec_numpy as fs


def check_gradients(layer, inputs, training=False, seed=0):
    """check_layer_gradients of a layer called on one tensor, or on a list of tensors (a merging layer)."""
    merged = isinstance(inputs, list)
    check_layer_gradients(layer, inputs if merged else [inputs], seed=seed, training=training, as_list=merged)


def normal(rng, shape, offset=0.0):
    return rng.normal(size=shape) + offset


# -- merging ---------------------------------------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, derandomize=True)
@given(name=st.sampled_from(["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]),
       count=st.integers(2, 3), rows=st.integers(1, 3), cols=st.integers(1, 4), lower_rank=st.booleans(),
       seed=st.integers(0, 2**16))
def test_merge_layers(name, count, rows, cols, lower_rank, seed):
    rng = np.random.default_rng(seed)
    count = 2 if name == "Subtract" else count
    inputs = [normal(rng, (2, rows, cols)) for _ in range(count)]
    if lower_rank:
        inputs[-1] = normal(rng, (2, cols))  # gains an axis after the batch axis
    check_gradients(getattr(fs.layers, name)(), inputs, seed=seed)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(rank_x=st.integers(2, 3), rank_y=st.integers(2, 3), normalize=st.booleans(), data=st.data())
def test_dot(rank_x, rank_y, normalize, data):
    a1, a2 = data.draw(st.integers(1, rank_x - 1)), data.draw(st.integers(1, rank_y - 1))
    shape_x = [2] + [data.draw(st.integers(1, 3)) for _ in range(rank_x - 1)]
    shape_y = [2] + [data.draw(st.integers(1, 3)) for _ in range(rank_y - 1)]
    shape_y[a2] = shape_x[a1] = data.draw(st.integers(2, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    check_gradients(fs.layers.Dot(axes=(a1, a2), normalize=normalize), [normal(rng, shape_x), normal(rng, shape_y)])


# -- reshaping -------------------------------------------------------------------------------------------------------
pairs = st.tuples(st.integers(0, 2), st.integers(0, 2))


@st.composite
def reshaping_layers(draw):
    """(layer, input shape) of any reshaping layer with drawn arguments."""
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    kind = draw(st.sampled_from(["Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "UpSampling3D",
                                 "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
                                 "Cropping3D", "Flatten", "Identity"]))
    rank = int(kind[-2]) if kind[-2].isdigit() else 1
    spatial = [draw(st.integers(1, 3)) for _ in range(rank)]
    channels = draw(st.integers(1, 2))
    shape = (2, channels, *spatial) if data_format == "channels_first" else (2, *spatial, channels)
    layers = fs.layers
    if kind == "Permute":
        dims = draw(st.permutations([1, 2, 3]))
        return layers.Permute(dims), (2, 2, 3, 1)
    if kind == "RepeatVector":
        return layers.RepeatVector(draw(st.integers(1, 3))), (2, 3)
    if kind.startswith("UpSampling"):
        sizes = tuple(draw(st.integers(1, 3)) for _ in range(rank))
        if rank == 1:
            return layers.UpSampling1D(sizes[0]), (2, *spatial, channels)
        if rank == 2:
            interpolation = draw(st.sampled_from(["nearest", "bilinear"]))
            return layers.UpSampling2D(sizes, data_format=data_format, interpolation=interpolation), shape
        return layers.UpSampling3D(sizes, data_format=data_format), shape
    if kind.startswith("ZeroPadding"):
        padding = tuple(draw(pairs) for _ in range(rank))
        return getattr(layers, kind)(padding[0] if rank == 1 else padding, data_format=data_format), shape
    if kind.startswith("Cropping"):
        spatial = [n + 4 for n in spatial]
        shape = (2, channels, *spatial) if data_format == "channels_first" else (2, *spatial, channels)
        cropping = tuple(draw(pairs) for _ in range(rank))
        if rank == 1:
            return layers.Cropping1D(cropping[0]), (2, *spatial, channels)
        return getattr(layers, kind)(cropping, data_format=data_format), shape
    if kind == "Flatten":
        return layers.Flatten(data_format=data_format), (2, 3, 2, 2)
    return layers.Identity(), (2, 3)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(layer_and_shape=reshaping_layers(), seed=st.integers(0, 2**16))
def test_reshaping_layers(layer_and_shape, seed):
    layer, shape = layer_and_shape
    check_gradients(layer, normal(np.random.default_rng(seed), shape), seed=seed)


# -- normalization ---------------------------------------------------------------------------------------------------
@settings(max_examples=10, deadline=None, derandomize=True)
@given(groups=st.sampled_from([1, 2, -1]), axis=st.sampled_from([-1, 1, 2]), center=st.booleans(),
       scale=st.booleans(), seed=st.integers(0, 2**16))
def test_group_normalization(groups, axis, center, scale, seed):
    rng = np.random.default_rng(seed)
    layer = fs.layers.GroupNormalization(groups=groups, axis=axis, epsilon=0.01, center=center, scale=scale,
                                         gamma_initializer=fs.initializers.RandomNormal(1.0, 0.3, seed=seed))
    check_gradients(layer, normal(rng, (2, 4, 2)), seed=seed)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(axis=st.sampled_from([-1, 1, [1, 2]]), seed=st.integers(0, 2**16))
def test_rms_normalization(axis, seed):
    layer = fs.layers.RMSNormalization(axis=axis, epsilon=0.01)
    check_gradients(layer, normal(np.random.default_rng(seed), (2, 3, 4)), seed=seed)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(axis=st.sampled_from([-1, 1, [1, 2]]), seed=st.integers(0, 2**16))
def test_unit_normalization(axis, seed):
    check_gradients(fs.layers.UnitNormalization(axis=axis), normal(np.random.default_rng(seed), (2, 3, 4)),
                    seed=seed)


# -- noise and activity regularization -------------------------------------------------------------------------------
@st.composite
def noise_layers(draw):
    kind = draw(st.sampled_from(["GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
                                 "SpatialDropout2D", "SpatialDropout3D"]))
    seed = draw(st.integers(0, 2**16))
    rate = draw(st.floats(0.1, 0.6))
    if kind == "GaussianNoise":
        return fs.layers.GaussianNoise(rate, seed=seed), (2, 3, 4)
    if kind in ("GaussianDropout", "AlphaDropout"):
        return getattr(fs.layers, kind)(rate, seed=seed), (2, 3, 4)
    rank = int(kind[-2])
    return getattr(fs.layers, kind)(rate, seed=seed), (2, *(2,) * rank, 3)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(layer_and_shape=noise_layers(), training=st.booleans(), seed=st.integers(0, 2**16))
def test_noise_layers_with_their_draws_fixed(layer_and_shape, training, seed):
    layer, shape = layer_and_shape
    check_gradients(layer, normal(np.random.default_rng(seed), shape, offset=1.0), training=training, seed=seed)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(l1=st.floats(0.0, 0.5), l2=st.floats(0.0, 0.5), seed=st.integers(0, 2**16))
def test_activity_regularization_and_its_loss(l1, l2, seed):
    x = normal(np.random.default_rng(seed), (3, 4), offset=0.5)  # |x| has a kink at 0: the draws stay off it
    x[np.abs(x) < 1e-3] = 0.1
    check_gradients(fs.layers.ActivityRegularization(l1=l1, l2=l2), x, seed=seed)

"""The convolution and pooling variants: values against loop-by-loop numpy definitions (hypothesis over strides,
dilations, paddings and groups), the transposed convolution as the adjoint of the convolution, channels_first as
channels_last transposed, output shapes (eager, compute_output_shape, symbolic: a hypothesis property), Keras's
weights, configs and aliases, and bad arguments (docs/SPEC.md 8d.C1-8d.C5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.assertions import assert_refused_by_name
from conformance.test_layers import saves_and_loads


def numpy_of(fs, x):
    return np.asarray(fs.ops.convert_to_numpy(x))


def precision_independent(precision):
    """Shapes, names, configs and errors do not depend on the precision: checked once, in float64."""
    if precision != "float64":
        pytest.skip("precision-independent: checked in float64")


def tolerance(precision):
    return {"rtol": 1e-10, "atol": 1e-10} if precision == "float64" else {"rtol": 2e-5, "atol": 2e-5}


def conv_by_loops(x, kernel, strides, padding, dilation, groups=1):
    """out[b, o, f] = sum over taps w and the channels c of f's group of x_pad[b, o*s + w*d, c] * kernel[w, c, f];
    'same' pads (ceil(n/s) - 1)*s + k_eff - n zeros, the odd one after; 'causal' k_eff - 1 zeros before."""
    rank = x.ndim - 2
    window = kernel.shape[:rank]
    pads = []
    for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation):
        span = (k - 1) * d + 1
        total = max((-(-n // s) - 1) * s + span - n, 0) if padding == "same" else span - 1 if padding == "causal" else 0
        pads.append((total, 0) if padding == "causal" else (total // 2, total - total // 2))
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    out_shape = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation)]
    per_group, filters = kernel.shape[-2:]
    per_filter = filters // groups
    out = np.zeros((x.shape[0], *out_shape, filters))
    for o in itertools.product(*(range(n) for n in out_shape)):
        for w in itertools.product(*(range(k) for k in window)):
            at = tuple(oi * s + wi * d for oi, wi, s, d in zip(o, w, strides, dilation))
            for f in range(filters):
                g = f // per_filter
                out[(slice(None), *o, f)] += x[(slice(None), *at, slice(g * per_group, (g + 1) * per_group))] @ \
                    kernel[(*w, slice(None), f)]
    return out


def pool_by_loops(x, pool, strides, padding, reduce):
    """The max or mean over each window's positions inside x ('same' padding neither wins nor counts)."""
    pads = []
    for n, k, s in zip(x.shape[1:-1], pool, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0) if padding == "same" else 0
        pads.append((total // 2, total - total // 2))
    out_shape = [(n + a + b - k) // s + 1 for n, k, s, (a, b) in zip(x.shape[1:-1], pool, strides, pads)]
    out = np.zeros((x.shape[0], *out_shape, x.shape[-1]))
    for o in itertools.product(*(range(n) for n in out_shape)):
        ranges = tuple(slice(max(oi * s - a, 0), min(oi * s - a + k, n))
                       for oi, s, (a, _), k, n in zip(o, strides, pads, pool, x.shape[1:-1]))
        window = x[(slice(None), *ranges, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None), *o, slice(None))] = reduce(window, axis=1)
    return out


# -- the ops against their definitions ---------------------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(rank=st.integers(1, 3), window=st.integers(1, 3), stride=st.integers(1, 2), dilation=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same", "causal"]), groups=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_conv_is_the_dilated_grouped_windowed_sum(fs, precision, rank, window, stride, dilation, padding, groups,
                                                  seed):
    dilation = 1 if stride > 1 else dilation
    padding = "same" if padding == "causal" and rank > 1 else padding
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, *(5,) * rank, 2 * groups))
    kernel = rng.normal(size=(*(window,) * rank, 2, 2 * groups))
    out = numpy_of(fs, fs.ops.conv(x, kernel, strides=stride, padding=padding, dilation_rate=dilation))
    expected = conv_by_loops(x, kernel, (stride,) * rank, padding, (dilation,) * rank, groups)
    np.testing.assert_allclose(out, expected, **tolerance(precision))


@settings(max_examples=6, deadline=None)
@given(rank=st.integers(1, 3), window=st.integers(1, 4), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 2**16))
def test_conv_transpose_is_the_adjoint_of_the_dilated_conv(fs, precision, rank, window, stride, dilation, padding,
                                                           seed):
    """<conv(y, w), x> = <y, conv_transpose(x, w)>, with Keras's output length n*s ('same') or
    (n - 1)*s + max(k_eff, s) ('valid')."""
    dilation = 1 if stride > 1 else dilation
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(2, *(3,) * rank, 2)), rng.normal(size=(*(window,) * rank, 3, 2))
    transposed = numpy_of(fs, fs.ops.conv_transpose(x, kernel, strides=stride, padding=padding,
                                                    dilation_rate=dilation))
    span = (window - 1) * dilation + 1
    length = 3 * stride if padding == "same" else 2 * stride + max(span, stride)
    assert transposed.shape == (2, *(length,) * rank, 3)
    y = rng.normal(size=transposed.shape)
    forward = conv_by_loops(y, kernel, (stride,) * rank, padding, (dilation,) * rank)
    np.testing.assert_allclose(np.sum(y * transposed), np.sum(forward * x), **tolerance(precision))


@pytest.mark.parametrize(("padding", "output_padding", "expected"), [
    ("valid", 0, 7), ("valid", 1, 8), ("same", 0, 5), ("same", 1, 6)])
def test_conv_transpose_output_padding_sets_the_length(fs, precision, padding, output_padding, expected):
    """(n - 1)*s + k_eff + output_padding ('valid'); (n - 1)*s + k_eff % 2 + output_padding ('same'): n=3, k=3,
    s=2."""
    precision_independent(precision)
    out = fs.ops.conv_transpose(np.ones((1, 3, 1)), np.ones((3, 1, 1)), strides=2, padding=padding,
                                output_padding=output_padding)
    assert tuple(fs.ops.shape(out)) == (1, expected, 1)
    layer = fs.layers.Conv1DTranspose(1, 3, strides=2, padding=padding, output_padding=output_padding)
    assert tuple(fs.ops.shape(layer(np.ones((1, 3, 1))))) == layer.compute_output_shape((1, 3, 1)) == (1, expected, 1)


@settings(max_examples=6, deadline=None)
@given(rank=st.integers(1, 3), pool=st.integers(1, 3), stride=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 2**16))
def test_pools_are_the_window_max_and_the_mean_over_positions_inside(fs, precision, rank, pool, stride, padding,
                                                                     seed):
    x = np.random.default_rng(seed).normal(size=(2, *(4,) * rank, 2))
    for op, reduce in ((fs.ops.max_pool, np.max), (fs.ops.average_pool, np.mean)):
        out = numpy_of(fs, op(x, pool, strides=stride, padding=padding))
        np.testing.assert_allclose(out, pool_by_loops(x, (pool,) * rank, (stride,) * rank, padding, reduce),
                                   **tolerance(precision))


# -- the layers --------------------------------------------------------------------------------------------------------
def _built(fs, layer, x, seed=0):
    """layer called on x once, its weights then drawn from a normal distribution."""
    layer(x)
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    return layer


def test_causal_conv1d_sees_only_the_past(fs, precision):
    precision_independent(precision)
    layer = _built(fs, fs.layers.Conv1D(2, 3, padding="causal", dilation_rate=2), np.zeros((1, 9, 2)))
    x = np.random.default_rng(1).normal(size=(1, 9, 2))
    changed = x.copy()
    changed[:, 5:] += 1.0
    before, after = numpy_of(fs, layer(x)), numpy_of(fs, layer(changed))
    assert before.shape == (1, 9, 2)
    np.testing.assert_array_equal(before[:, :5], after[:, :5])
    assert np.all(before[:, 5:] != after[:, 5:])


def test_depthwise_and_separable_are_grouped_then_pointwise_convolutions(fs, precision):
    x = np.random.default_rng(2).normal(size=(2, 6, 5, 3))
    depthwise = _built(fs, fs.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", dilation_rate=(1, 2)), x)
    kernel, bias = depthwise.get_weights()
    assert kernel.shape == (3, 3, 3, 2) and bias.shape == (6,)
    expected = conv_by_loops(x, kernel.reshape(3, 3, 1, 6), (1, 1), "same", (1, 2), groups=3) + bias
    np.testing.assert_allclose(numpy_of(fs, depthwise(x)), expected, **tolerance(precision))
    separable = _built(fs, fs.layers.SeparableConv2D(4, 2, strides=2, depth_multiplier=2, activation="tanh"), x)
    assert [v.name for v in separable.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    d, p, b = separable.get_weights()
    assert d.shape == (2, 2, 3, 2) and p.shape == (1, 1, 6, 4) and b.shape == (4,)
    inner = conv_by_loops(x, d.reshape(2, 2, 1, 6), (2, 2), "valid", (1, 1), groups=3)
    np.testing.assert_allclose(numpy_of(fs, separable(x)), np.tanh(inner @ p[0, 0] + b), **tolerance(precision))


CHANNELS_FIRST = [  # (layer name, kwargs, channels_last input shape)
    ("Conv1D", {"filters": 4, "kernel_size": 2, "dilation_rate": 2, "groups": 2}, (2, 6, 4)),
    ("Conv2D", {"filters": 2, "kernel_size": (2, 3), "strides": (2, 1), "padding": "same"}, (2, 5, 4, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": 2}, (1, 3, 4, 3, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 4, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same"}, (1, 3, 3, 2)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": (1, 2, 1)}, (1, 2, 2, 3, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 2)),
    ("DepthwiseConv2D", {"kernel_size": 2, "padding": "same"}, (1, 4, 3, 3)),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 2, "strides": 2}, (2, 7, 2)),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 2, "depth_multiplier": 2}, (1, 4, 4, 2)),
    ("MaxPooling1D", {"pool_size": 2, "padding": "same"}, (2, 5, 3)),
    ("MaxPooling3D", {"pool_size": 2}, (1, 4, 4, 2, 2)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 2)),
    ("AveragePooling2D", {"pool_size": 2}, (1, 4, 5, 2)),
    ("AveragePooling3D", {"pool_size": (2, 1, 2), "padding": "same"}, (1, 3, 3, 3, 2)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (2, 3, 4, 2)),
    ("GlobalAveragePooling3D", {}, (2, 2, 3, 2, 3)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), CHANNELS_FIRST, ids=[n for n, _, _ in CHANNELS_FIRST])
def test_channels_first_is_channels_last_with_the_channel_axis_moved(fs, precision, name, kwargs, shape):
    x = np.random.default_rng(3).normal(size=shape)
    last = _built(fs, getattr(fs.layers, name)(**kwargs), x)
    first = getattr(fs.layers, name)(**kwargs, data_format="channels_first")
    moved = np.moveaxis(x, -1, 1)
    first(moved)
    first.set_weights(last.get_weights())  # the kernels' layouts do not depend on data_format
    expected = numpy_of(fs, last(x))
    out = numpy_of(fs, first(moved))
    np.testing.assert_allclose(out, np.moveaxis(expected, -1, 1) if expected.ndim > 2 else expected,
                               **tolerance(precision))
    assert tuple(first.compute_output_shape(moved.shape)) == out.shape


@st.composite
def layer_configs(draw):
    """(layer name, kwargs, input shape without batch): any variant, any arguments Keras accepts for it."""
    kind = draw(st.sampled_from(["Conv", "ConvTranspose", "DepthwiseConv", "SeparableConv", "MaxPooling",
                                 "AveragePooling", "GlobalMaxPooling", "GlobalAveragePooling"]))
    rank = draw(st.integers(1, 2 if kind in ("DepthwiseConv", "SeparableConv") else 3))
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    channels = draw(st.integers(1, 2)) * 2
    spatial = tuple(draw(st.integers(4, 6)) for _ in range(rank))
    shape = (*spatial, channels) if data_format == "channels_last" else (channels, *spatial)
    kwargs = {"data_format": data_format}
    name = f"Conv{rank}DTranspose" if kind == "ConvTranspose" else f"{kind}{rank}D"
    if kind.startswith("Global"):
        kwargs["keepdims"] = draw(st.booleans())
        return name, kwargs, shape
    window = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(rank))
    paddings = ["valid", "same", *(["causal"] if kind == "Conv" and rank == 1 else [])]
    kwargs.update(strides=strides, padding=draw(st.sampled_from(paddings)))
    if kind.endswith("Pooling"):
        return name, {**kwargs, "pool_size": window}, shape
    kwargs["kernel_size"] = window
    if max(strides) == 1:
        kwargs["dilation_rate"] = tuple(draw(st.integers(1, 2)) for _ in range(rank))
    if kind != "DepthwiseConv":
        kwargs["filters"] = 2
    if kind == "Conv":
        kwargs["groups"] = draw(st.sampled_from([1, 2]))
    if kind in ("DepthwiseConv", "SeparableConv"):
        kwargs["depth_multiplier"] = draw(st.integers(1, 2))
    if kind == "ConvTranspose" and draw(st.booleans()):
        kwargs["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in strides)
    return name, kwargs, shape


@settings(max_examples=12, deadline=None)
@given(config=layer_configs())
def test_output_shapes_eager_computed_and_symbolic_agree(fs, precision, config):
    precision_independent(precision)
    name, kwargs, shape = config
    layer = getattr(fs.layers, name)(**kwargs)
    x = np.random.default_rng(0).normal(size=(2, *shape))
    eager = tuple(fs.ops.shape(layer(x)))
    assert tuple(layer.compute_output_shape((2, *shape))) == eager
    assert tuple(layer.compute_output_shape((None, *shape))) == (None, *eager[1:])
    symbolic = getattr(fs.layers, name)(**kwargs)(fs.Input(shape=shape))
    assert tuple(symbolic.shape) == (None, *eager[1:])


# -- Keras's weights, configs and names --------------------------------------------------------------------------------
def test_weights_have_keras_names_order_and_shapes(fs, precision):
    precision_independent(precision)
    layers = fs.layers
    cases = [
        (layers.Conv1D(6, 3, groups=3), (2, 5, 9), [("kernel", (3, 3, 6)), ("bias", (6,))]),
        (layers.Conv3D(2, (1, 2, 3), data_format="channels_first"), (1, 4, 3, 3, 3), [("kernel", (1, 2, 3, 4, 2)),
                                                                                     ("bias", (2,))]),
        (layers.Conv3DTranspose(5, 2), (1, 2, 2, 2, 3), [("kernel", (2, 2, 2, 5, 3)), ("bias", (5,))]),
        (layers.DepthwiseConv1D(2, depth_multiplier=3, use_bias=False), (1, 4, 2), [("kernel", (2, 2, 3))]),
        (layers.SeparableConv1D(4, 2), (1, 4, 3), [("depthwise_kernel", (2, 3, 1)), ("pointwise_kernel", (1, 3, 4)),
                                                   ("bias", (4,))]),
    ]
    for layer, shape, expected in cases:
        layer(np.zeros(shape))
        assert [(v.name, tuple(v.shape)) for v in layer.weights] == expected, layer.name


def test_aliases_are_the_same_classes(fs, precision):
    precision_independent(precision)
    layers = fs.layers
    for alias, name in (("Convolution1D", "Conv1D"), ("Convolution2D", "Conv2D"), ("Convolution3D", "Conv3D"),
                        ("Convolution2DTranspose", "Conv2DTranspose"), ("SeparableConvolution2D", "SeparableConv2D"),
                        ("MaxPool2D", "MaxPooling2D"), ("MaxPool3D", "MaxPooling3D"), ("AvgPool1D", "AveragePooling1D"),
                        ("AvgPool3D", "AveragePooling3D"), ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
                        ("GlobalAvgPool3D", "GlobalAveragePooling3D")):
        assert getattr(layers, alias) is getattr(layers, name), alias
        assert alias in layers.__all__, alias


CONFIGS = [
    ("Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2, "groups": 2,
                "kernel_regularizer": "l2", "activity_regularizer": "l1"}),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": (1, 0),
                         "data_format": "channels_first"}),
    ("DepthwiseConv2D", {"kernel_size": 2, "depth_multiplier": 3, "depthwise_constraint": "non_neg"}),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 2, "pointwise_initializer": "ones",
                         "pointwise_regularizer": "l1"}),
    ("AveragePooling3D", {"pool_size": 2, "padding": "same", "data_format": "channels_first"}),
    ("GlobalMaxPooling3D", {"keepdims": True}),
    ("BatchNormalization", {"gamma_regularizer": "l2", "beta_constraint": "non_neg"}),
    ("LayerNormalization", {"beta_regularizer": "l1", "gamma_constraint": "unit_norm"}),
    ("GroupNormalization", {"groups": 2, "gamma_regularizer": "l2"}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[n for n, _ in CONFIGS])
def test_config_round_trip(fs, precision, name, kwargs):
    precision_independent(precision)
    layer = getattr(fs.layers, name)(**kwargs)
    config = layer.get_config()
    rebuilt = getattr(fs.layers, name).from_config(config)
    assert rebuilt.get_config() == config
    for key, value in kwargs.items():
        if isinstance(value, str) and key.endswith(("regularizer", "constraint")):
            assert config[key] is not None, key


def test_a_model_of_the_variants_saves_and_loads(fs, tmp_path):
    from conformance import models

    model = models.conv1d_variants(fs)
    saves_and_loads(fs, model, np.random.default_rng(4).normal(size=(3, 16, 4)), tmp_path)


def test_normalization_regularizers_add_losses_and_constraints_hold(fs, precision):
    layer = fs.layers.LayerNormalization(gamma_regularizer=fs.regularizers.L2(0.5), beta_regularizer="l1",
                                         beta_initializer="ones", beta_constraint="non_neg")
    layer(np.ones((2, 3)))
    assert len(layer.losses) == 2
    total = sum(float(numpy_of(fs, loss)) for loss in layer.losses)
    np.testing.assert_allclose(total, 0.5 * 3 + 0.01 * 3, **tolerance(precision))
    assert layer.beta.constraint is not None and layer.gamma.constraint is None


def test_concatenate_of_a_single_input_is_that_input(fs):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(numpy_of(fs, fs.layers.Concatenate()([x])), x)
    symbolic = fs.layers.Concatenate()([fs.Input(shape=(3,))])
    assert tuple(symbolic.shape) == (None, 3)


# -- bad arguments -----------------------------------------------------------------------------------------------------
BAD_ARGUMENTS = [
    ("Conv2D", {"filters": 4, "kernel_size": 2, "padding": "causal"}, "padding"),
    ("Conv1D", {"filters": 4, "kernel_size": 2, "groups": 3}, "groups"),
    ("Conv1D", {"filters": 4, "kernel_size": 2, "groups": 0}, "groups"),
    ("Conv2D", {"filters": 2, "kernel_size": 2, "strides": 2, "dilation_rate": 2}, "dilation_rate"),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "dilation_rate": (1, 0, 1)}, "dilation_rate"),
    ("Conv2D", {"filters": 2, "kernel_size": 2, "data_format": "NCHW"}, "data_format"),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2, "output_padding": 2}, "output_padding"),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "output_padding": -1}, "output_padding"),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 2, "padding": "causal"}, "padding"),
    ("DepthwiseConv2D", {"kernel_size": 2, "depth_multiplier": 0}, "depth_multiplier"),
    ("DepthwiseConv1D", {"kernel_size": 2, "padding": "causal"}, "padding"),
    ("SeparableConv2D", {"filters": 0, "kernel_size": 2}, "filters"),
    ("AveragePooling2D", {"pool_size": (2, 0)}, "pool_size"),
    ("MaxPooling3D", {"data_format": "channels_middle"}, "data_format"),
    ("GlobalAveragePooling3D", {"data_format": 1}, "data_format"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), BAD_ARGUMENTS,
                         ids=[f"{n}-{a}" for n, _, a in BAD_ARGUMENTS])
def test_bad_arguments_name_the_argument(fs, precision, name, kwargs, argument):
    precision_independent(precision)
    assert_refused_by_name(lambda: getattr(fs.layers, name)(**kwargs), name, argument)


def test_bad_inputs_name_the_expected_shape(fs, precision):
    precision_independent(precision)
    with pytest.raises(ValueError, match=r"argument `inputs` expected a number of channels divisible by groups=2"):
        fs.layers.Conv1D(2, 2, groups=2)(np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match=r"expected a tensor of rank 5 \(batch, channels, d1, d2, d3\)"):
        fs.layers.Conv3D(2, 2, data_format="channels_first")(np.zeros((1, 4, 3, 3)))
    layer = fs.layers.SeparableConv1D(2, 2)
    layer(np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match=r"expected 3 channels \(last dimension\)"):
        layer(np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match=r"ops.conv: argument `kernel` expected"):
        fs.ops.conv(np.zeros((1, 4, 3)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"ops.conv_transpose: argument `output_padding` expected"):
        fs.ops.conv_transpose(np.zeros((1, 4, 3)), np.zeros((2, 2, 3)), strides=2, output_padding=(3,))

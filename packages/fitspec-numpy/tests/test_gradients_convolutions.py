"""The convolution and pooling variants' gradients (inputs and weights) agree with central finite differences in
float64: the ops with hypothesis over strides, dilations, paddings, groups and output paddings, then every layer
(docs/SPEC.md 8d.C1-8d.C5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import central_differences
from test_gradients_layers_merging_reshaping_noise_normalization import check_gradients

import fitspec_numpy as fs


def check_op_gradients(op, values, seed=0):
    """d/d(values) of sum(op(*values) * r): autograd against central differences."""
    values = [np.asarray(v, dtype="float64") for v in values]
    projection = np.random.default_rng(seed).normal(size=np.shape(op(*values)))

    def objective(vs):
        return fs.ops.sum(op(*vs) * projection)

    _, grads = fs.value_and_grad(objective)(values)
    expected = central_differences(lambda vs: float(objective(vs)), values)
    for i, (g, e) in enumerate(zip(grads, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"d objective / d operand {i}")


@settings(max_examples=12, deadline=None, derandomize=True)
@given(rank=st.integers(1, 2), window=st.integers(1, 3), stride=st.integers(1, 2), dilation=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same", "causal"]), groups=st.integers(1, 2), seed=st.integers(0, 99))
def test_conv_with_dilation_groups_and_causal_padding(rank, window, stride, dilation, padding, groups, seed):
    if stride > 1:
        dilation = 1  # Keras's rule: not both
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, *(5,) * rank, 2 * groups))
    kernel = rng.normal(size=(*(window,) * rank, 2, 2 * groups))
    check_op_gradients(lambda a, k: fs.ops.conv(a, k, strides=stride, padding=padding, dilation_rate=dilation),
                       [x, kernel], seed)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(rank=st.integers(1, 3), window=st.integers(1, 3), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       padding=st.sampled_from(["valid", "same"]), extra=st.integers(0, 2), seed=st.integers(0, 99))
def test_conv_transpose_with_dilation_and_output_padding(rank, window, stride, dilation, padding, extra, seed):
    if stride > 1:
        dilation = 1
    output_padding = None if extra >= stride else extra
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, *(3,) * rank, 2))
    kernel = rng.normal(size=(*(window,) * rank, 2, 2))
    check_op_gradients(lambda a, k: fs.ops.conv_transpose(a, k, strides=stride, padding=padding,
                                                          output_padding=output_padding, dilation_rate=dilation),
                       [x, kernel], seed)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(rank=st.integers(1, 3), pool=st.integers(1, 3), stride=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 99))
def test_average_and_max_pool(rank, pool, stride, padding, seed):
    x = np.random.default_rng(seed).permutation(2 * 4 ** rank).reshape(1, *(4,) * rank, 2) / 7.0  # no ties
    for op in (fs.ops.average_pool, fs.ops.max_pool):
        check_op_gradients(lambda a, op=op: op(a, pool, strides=stride, padding=padding), [x], seed)


LAYERS = {
    "Conv1D causal dilated": (lambda: fs.layers.Conv1D(2, 3, padding="causal", dilation_rate=2), (2, 7, 2)),
    "Conv2D grouped channels_first": (
        lambda: fs.layers.Conv2D(4, 2, groups=2, data_format="channels_first", bias_initializer="ones"),
        (2, 4, 3, 4)),
    "Conv3D same": (lambda: fs.layers.Conv3D(2, 2, padding="same", activation="tanh"), (1, 3, 3, 2, 2)),
    "Conv1DTranspose output_padding": (lambda: fs.layers.Conv1DTranspose(2, 3, strides=2, output_padding=1),
                                       (2, 4, 2)),
    "Conv2DTranspose dilated": (lambda: fs.layers.Conv2DTranspose(2, 2, dilation_rate=2, padding="same"),
                                (1, 3, 3, 2)),
    "Conv3DTranspose channels_first": (
        lambda: fs.layers.Conv3DTranspose(2, 2, strides=(1, 2, 1), data_format="channels_first"), (1, 2, 2, 2, 2)),
    "DepthwiseConv1D": (lambda: fs.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same"), (2, 5, 2)),
    "DepthwiseConv2D dilated": (lambda: fs.layers.DepthwiseConv2D(2, dilation_rate=2, bias_initializer="ones"),
                                (1, 4, 4, 3)),
    "SeparableConv1D": (lambda: fs.layers.SeparableConv1D(3, 2, strides=2, depth_multiplier=2), (2, 6, 2)),
    "SeparableConv2D channels_first": (
        lambda: fs.layers.SeparableConv2D(2, 2, padding="same", data_format="channels_first"), (1, 2, 3, 3)),
    "AveragePooling1D same": (lambda: fs.layers.AveragePooling1D(3, strides=2, padding="same"), (2, 5, 2)),
    "AveragePooling2D channels_first": (lambda: fs.layers.AveragePooling2D(2, data_format="channels_first"),
                                        (1, 2, 4, 4)),
    "AveragePooling3D": (lambda: fs.layers.AveragePooling3D(2, strides=1), (1, 3, 3, 3, 2)),
    "MaxPooling3D same": (lambda: fs.layers.MaxPooling3D(2, padding="same"), (1, 3, 3, 3, 2)),
    "GlobalMaxPooling3D keepdims": (lambda: fs.layers.GlobalMaxPooling3D(keepdims=True), (2, 2, 3, 2, 2)),
    "GlobalAveragePooling3D channels_first": (
        lambda: fs.layers.GlobalAveragePooling3D(data_format="channels_first"), (2, 2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients_match_central_differences(name):
    fs.config.set_floatx("float64")
    make, shape = LAYERS[name]
    size = int(np.prod(shape))
    x = np.random.default_rng(len(name)).permutation(size).reshape(shape) / size  # no ties for the max
    check_gradients(make(), x)


def test_normalization_beta_and_gamma_regularizers_add_their_gradients():
    fs.config.set_floatx("float64")
    x = np.random.default_rng(3).normal(size=(4, 3))
    for layer in (fs.layers.BatchNormalization(gamma_regularizer="l2", beta_regularizer=fs.regularizers.L1(0.1),
                                               gamma_initializer="random_normal", beta_initializer="ones"),
                  fs.layers.LayerNormalization(gamma_regularizer=fs.regularizers.L2(0.3), beta_regularizer="l1"),
                  fs.layers.GroupNormalization(groups=3, gamma_regularizer="l1", beta_regularizer="l2",
                                               gamma_initializer="random_normal")):
        check_gradients(layer, x)

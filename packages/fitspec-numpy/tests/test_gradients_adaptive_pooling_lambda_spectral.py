"""Adaptive pooling's, Lambda's and SpectralNormalization's gradients agree with central finite differences in
float64, hypothesis over shapes and arguments (docs/SPEC.md 8d.AP, 8d.LA, 8d.SN)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_gradients import check_layer_gradients

import fitspec_numpy as fs


@settings(max_examples=12, deadline=None, derandomize=True)
@given(rank=st.integers(1, 3), kind=st.sampled_from(["Max", "Average"]), data=st.data(),
       channels_first=st.booleans(), seed=st.integers(0, 2**16))
def test_adaptive_pooling(rank, kind, data, channels_first, seed):
    spatial = [data.draw(st.integers(1, 6)) for _ in range(rank)]
    output_size = tuple(data.draw(st.integers(1, 4)) for _ in range(rank))
    shape = (2, 2, *spatial) if channels_first else (2, *spatial, 2)
    layer = getattr(fs.layers, f"Adaptive{kind}Pooling{rank}D")(
        output_size, data_format="channels_first" if channels_first else "channels_last")
    check_layer_gradients(layer, [np.random.default_rng(seed).normal(size=shape)], seed=seed)


@fs.saving.register_keras_serializable(package="test_gradients")
def scaled_tanh(x, factor=1.0):
    return fs.ops.tanh(x * factor)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(factor=st.floats(-2.0, 2.0), seed=st.integers(0, 2**16))
def test_lambda(factor, seed):
    layer = fs.layers.Lambda(scaled_tanh, arguments={"factor": factor})
    check_layer_gradients(layer, [np.random.default_rng(seed).normal(size=(2, 3))], seed=seed)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(wrapped=st.sampled_from(["Dense", "Conv1D"]), iterations=st.integers(1, 3), training=st.booleans(),
       seed=st.integers(0, 2**16))
def test_spectral_normalization(wrapped, iterations, training, seed):
    """u converged first (60 training calls), where sigma is stationary in u and v: the finite differences, which
    move u and v with the kernel, then see the gradient that holds them constant."""
    fs.config.set_floatx("float64")
    rng = np.random.default_rng(seed)
    inner, shape = (fs.layers.Dense(3), (2, 4)) if wrapped == "Dense" else (fs.layers.Conv1D(2, 2), (2, 4, 3))
    layer = fs.layers.SpectralNormalization(inner, power_iterations=iterations)
    x = rng.normal(size=shape)
    for _ in range(60):
        layer(x, training=True)
    check_layer_gradients(layer, [x], seed=seed, training=training)

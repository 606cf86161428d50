"""The reference's gradients of every activation and activation layer agree with central finite differences
(float64), at points at least 1e-3 away from each function's kinks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import central_differences

import fitspec_numpy as fs

#: name -> (options, the points where the function or its derivative jumps)
ACTIVATIONS = {
    "relu": ({}, [0.0]),
    "relu_options": ({"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5}, [0.5, 2.0]),
    "relu_max_value": ({"max_value": 1.0}, [0.0, 1.0]),
    "leaky_relu": ({"negative_slope": 0.3}, [0.0]),
    "relu6": ({}, [0.0, 6.0]),
    "softmax": ({"axis": 0}, []),
    "log_softmax": ({}, []),
    "celu": ({"alpha": 0.7}, [0.0]),
    "elu": ({"alpha": 0.5}, [0.0]),
    "selu": ({}, [0.0]),
    "softplus": ({}, []),
    "softsign": ({}, [0.0]),
    "squareplus": ({"b": 2.0}, []),
    "soft_shrink": ({"threshold": 0.4}, [-0.4, 0.4]),
    "sparse_plus": ({}, [-1.0, 1.0]),
    "silu": ({}, []),
    "swish": ({}, []),
    "gelu": ({}, []),
    "gelu_approximate": ({"approximate": True}, []),
    "glu": ({}, []),
    "tanh": ({}, []),
    "tanh_shrink": ({}, []),
    "threshold": ({"threshold": 0.2, "default_value": -1.0}, [0.2]),
    "sigmoid": ({}, []),
    "sparse_sigmoid": ({}, [-1.0, 1.0]),
    "exponential": ({}, []),
    "hard_sigmoid": ({}, [-3.0, 3.0]),
    "hard_silu": ({}, [-3.0, 3.0]),
    "hard_swish": ({}, [-3.0, 3.0]),
    "hard_tanh": ({}, [-1.0, 1.0]),
    "hard_shrink": ({"threshold": 0.3}, [-0.3, 0.3]),
    "linear": ({}, []),
    "mish": ({}, []),
    "log_sigmoid": ({}, []),
}


def function_of(name):
    options, _ = ACTIVATIONS[name]
    fn = getattr(fs.activations, name.replace("_options", "").replace("_max_value", "").replace("_approximate", ""))
    return lambda x: fn(x, **options)


def away_from(x, kinks, distance=1e-3):
    for kink in kinks:
        close = np.abs(x - kink) < distance
        x = np.where(close, kink + np.where(x >= kink, distance, -distance) * 2, x)
    return x


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@settings(max_examples=5, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), rows=st.integers(1, 3), scale=st.sampled_from([0.5, 2.0, 5.0]))
def test_activation_gradients_match_central_differences(name, seed, rows, scale):
    fs.config.set_floatx("float64")
    rng = np.random.default_rng(seed)
    x = away_from(rng.normal(size=(rows, 4)) * scale, ACTIVATIONS[name][1])
    fn = function_of(name)
    weights = rng.normal(size=np.shape(fn(x)))

    def objective(values):
        return np.sum(fn(values[0]) * weights)

    _, (grad,) = fs.value_and_grad(objective)([x])
    (expected,) = central_differences(lambda values: float(objective(values)), [x])
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7, err_msg=name)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), size=st.integers(2, 6))
def test_sparsemax_gradient_matches_central_differences_where_the_support_is_fixed(seed, size):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, size)) * 2
    out = fs.activations.sparsemax(x)
    tau = x - out  # = tau on the support
    if np.any(np.abs(x - np.max(np.where(out > 0, tau, -np.inf), axis=-1, keepdims=True))[out == 0] < 1e-3):
        return  # a value at the edge of the support: a kink
    weights = rng.normal(size=x.shape)

    def objective(values):
        return np.sum(fs.activations.sparsemax(values[0]) * weights)

    _, (grad,) = fs.value_and_grad(objective)([x])
    (expected,) = central_differences(lambda values: float(objective(values)), [x])
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


LAYERS = {
    "prelu": lambda: fs.layers.PReLU(alpha_initializer=fs.initializers.Constant(0.3)),
    "prelu_shared": lambda: fs.layers.PReLU(alpha_initializer=fs.initializers.RandomUniform(seed=1),
                                            shared_axes=[1]),
    "elu": lambda: fs.layers.ELU(alpha=0.4),
    "relu": lambda: fs.layers.ReLU(max_value=3.0, negative_slope=0.2, threshold=0.1),
    "leaky_relu": lambda: fs.layers.LeakyReLU(negative_slope=0.2),
    "softmax": lambda: fs.layers.Softmax(axis=[1, 2]),
}


@pytest.mark.parametrize("layer_name", list(LAYERS))
@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_activation_layer_gradients_match_central_differences(layer_name, seed):
    fs.config.set_floatx("float64")
    rng = np.random.default_rng(seed)
    model = fs.Sequential([fs.Input(shape=(3, 4)), fs.layers.Dense(4), LAYERS[layer_name]()])
    x = rng.normal(size=(5, 3, 4))
    weights = [v.numpy() for v in model.trainable_variables]
    target = rng.normal(size=(5, 3, 4))

    def loss_of(values):
        y, _ = model.stateless_call(values, [], x)
        return np.sum((y - target) ** 2)

    y = model(x)
    kinks = {"prelu": [0.0], "prelu_shared": [0.0], "elu": [0.0], "relu": [0.1, 3.0], "leaky_relu": [0.0]}
    pre = model.layers[0](x)
    if any(np.min(np.abs(np.asarray(pre) - k)) < 1e-4 for k in kinks.get(layer_name, [])):
        return  # a pre-activation on a kink
    assert np.all(np.isfinite(y))
    _, grads = fs.value_and_grad(loss_of)(weights)
    expected = central_differences(lambda values: float(loss_of(values)), weights)
    for g, e, v in zip(grads, expected, model.trainable_variables):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"d loss / d {v.path}")


def test_softmax_mask_sends_no_gradient_to_masked_inputs():
    x = np.random.default_rng(0).normal(size=(2, 5))
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], dtype=bool)
    weights = np.random.default_rng(1).normal(size=(2, 5))
    layer = fs.layers.Softmax()
    _, (grad,) = fs.value_and_grad(lambda values: np.sum(layer(values[0], mask=mask) * weights))([x])
    assert np.all(grad[~mask] == 0.0)

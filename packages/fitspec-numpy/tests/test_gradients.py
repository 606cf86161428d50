"""The reference's gradients agree with central finite differences (float64), on every layer and loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fitspec_numpy as fs

LAYERS = {
    "dense_linear": lambda: [fs.layers.Dense(3)],
    "dense_relu": lambda: [fs.layers.Dense(3, activation="relu")],
    "dense_sigmoid": lambda: [fs.layers.Dense(3, activation="sigmoid")],
    "dense_tanh": lambda: [fs.layers.Dense(3, activation="tanh")],
    "dense_softmax": lambda: [fs.layers.Dense(3, activation="softmax")],
    "activation_tanh": lambda: [fs.layers.Dense(3), fs.layers.Activation("tanh")],
    "relu": lambda: [fs.layers.Dense(3), fs.layers.ReLU()],
    "leaky_relu": lambda: [fs.layers.Dense(3), fs.layers.LeakyReLU(negative_slope=0.2)],
    "reshape_flatten": lambda: [fs.layers.Dense(6), fs.layers.Reshape((2, 3)), fs.layers.Flatten(),
                                fs.layers.Dense(3)],
}
LOSSES = {
    "mse": (lambda: fs.losses.MeanSquaredError(), "real"),
    "mae": (lambda: fs.losses.MeanAbsoluteError(), "real"),
    "bce": (lambda: fs.losses.BinaryCrossentropy(), "binary"),
    "bce_logits": (lambda: fs.losses.BinaryCrossentropy(from_logits=True), "binary"),
    "cce": (lambda: fs.losses.CategoricalCrossentropy(), "onehot"),
    "cce_logits": (lambda: fs.losses.CategoricalCrossentropy(from_logits=True), "onehot"),
    "scce": (lambda: fs.losses.SparseCategoricalCrossentropy(), "sparse"),
    "scce_logits": (lambda: fs.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse"),
}


def targets(kind, rng, n):
    if kind == "real":
        return rng.normal(size=(n, 3))
    if kind == "binary":
        return rng.integers(0, 2, size=(n, 3)).astype(float)
    if kind == "onehot":
        return np.eye(3)[rng.integers(0, 3, size=n)]
    return rng.integers(0, 3, size=(n,)).astype(float)


def central_differences(f, values, eps=1e-6):
    grads = []
    for i, v in enumerate(values):
        g = np.zeros_like(v)
        for index in np.ndindex(v.shape):
            plus = [w.copy() for w in values]
            minus = [w.copy() for w in values]
            plus[i][index] += eps
            minus[i][index] -= eps
            g[index] = (f(plus) - f(minus)) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("layer_name", list(LAYERS))
@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_gradients_match_central_differences(layer_name, loss_name, seed):
    fs.config.set_floatx("float64")
    rng = np.random.default_rng(seed)
    make_loss, kind = LOSSES[loss_name]
    layers = LAYERS[layer_name]()
    needs_probabilities = kind in ("binary", "onehot", "sparse") and "logits" not in loss_name
    if needs_probabilities and layer_name not in ("dense_sigmoid", "dense_softmax"):
        layers.append(fs.layers.Activation("sigmoid" if kind == "binary" else "softmax"))
    fs.utils.set_random_seed(seed)
    model = fs.Sequential([fs.Input(shape=(4,)), *layers])
    loss_fn = make_loss()
    x = rng.normal(size=(5, 4))
    y = targets(kind, rng, 5)
    if loss_name == "mae":
        y = y + 10.0  # keep |y - y_pred| away from the kink at 0
    weights = [v.numpy() for v in model.trainable_variables]

    def loss_of(values):
        y_pred, _ = model.stateless_call(values, [], x)
        return loss_fn(y, y_pred)

    _, grads = fs.value_and_grad(loss_of)(weights)
    expected = central_differences(lambda values: float(loss_of(values)), weights)
    for g, e, v in zip(grads, expected, model.trainable_variables):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"d loss / d {v.path}")


def test_value_and_grad_with_aux_returns_plain_arrays():
    def f(w, scale):
        value = np.sum(w**2) * scale
        return value, {"doubled": w * 2}

    (value, aux), grad = fs.value_and_grad(f, has_aux=True)(np.array([1.0, 2.0]), 3.0)
    assert value == 15.0
    np.testing.assert_array_equal(grad, [6.0, 12.0])
    assert type(aux["doubled"]) is np.ndarray


def test_value_and_grad_over_the_second_argument():
    value, grad = fs.value_and_grad(lambda a, b: np.sum(a * b), argnums=1)(np.array([2.0]), np.array([5.0]))
    assert value == 10.0 and grad.tolist() == [2.0]

"""Gradients under a mixed_float16 policy (docs/SPEC.md 3.4): numpy computes the layers in float16, the gradient
flows through the cast to the float32 variables, and agrees with central differences at float16's resolution and
with the float64 model's gradient within float16 rounding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import central_differences

import fitspec_numpy as fs


def model_of(dtype):
    return fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(5, activation="tanh", dtype=dtype),
                          fs.layers.Dense(3, activation="softmax", dtype=dtype)])


@pytest.fixture(autouse=True)
def float64():
    fs.config.set_floatx("float64")


@settings(max_examples=5, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_mixed_float16_gradients_are_float32_and_match_differences_and_the_float64_gradient(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, 6)]
    loss_fn = fs.losses.CategoricalCrossentropy()
    mixed, exact = model_of("mixed_float16"), model_of("float64")
    exact.set_weights(mixed.get_weights())
    weights = [v.numpy() for v in mixed.trainable_variables]
    assert {w.dtype for w in weights} == {np.dtype("float32")}

    def loss_of(model):
        def f(values):
            y_pred, _ = model.stateless_call(values, [], x)
            return loss_fn(y, y_pred)

        return f

    _, grads = fs.value_and_grad(loss_of(mixed))(weights)
    _, wanted = fs.value_and_grad(loss_of(exact))([w.astype("float64") for w in weights])
    # a difference step far above float16's rounding of the loss (2^-11 relative), small against its curvature
    differences = central_differences(lambda values: float(loss_of(mixed)(values)), weights, eps=2.0**-5)
    for g, w, d, v in zip(grads, wanted, differences, mixed.trainable_variables):
        assert g.dtype == np.float32, v.path
        np.testing.assert_allclose(g, w, rtol=2.0**-6, atol=2.0**-9, err_msg=f"d loss / d {v.path} vs float64")
        np.testing.assert_allclose(g, d, rtol=2.0**-4, atol=2.0**-6, err_msg=f"d loss / d {v.path} vs differences")

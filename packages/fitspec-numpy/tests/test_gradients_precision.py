"""Gradients under a mixed_float16 policy (docs/SPEC.md 3.4): numpy computes the layers in float16, the gradient
flows through the cast to the float32 variables, and agrees with central differences at float16's resolution and
with the float64 model's gradient within float16 rounding; BatchNormalization (training) and LayerNormalization
between the float16 layers take their statistics in float32."""

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


def normalized_model_of(dtype):
    return fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(5, dtype=dtype),
                          fs.layers.BatchNormalization(dtype=dtype), fs.layers.Activation("tanh", dtype=dtype),
                          fs.layers.Dense(4, dtype=dtype), fs.layers.LayerNormalization(dtype=dtype),
                          fs.layers.Dense(3, activation="softmax", dtype=dtype)])


#: each model's builder, and the scale and offset of its inputs (an offset: BatchNormalization subtracts it)
MODELS = {"dense": (model_of, 1.0, 0.0), "normalized": (normalized_model_of, 1.0, 2.0)}


@pytest.mark.parametrize("model", sorted(MODELS))
@settings(max_examples=4, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_mixed_float16_gradients_are_float32_and_match_differences_and_the_float64_gradient(model, seed):
    build, scale, offset = MODELS[model]
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(6, 4)) * scale + offset, np.eye(3)[rng.integers(0, 3, 6)]
    loss_fn = fs.losses.CategoricalCrossentropy()
    fs.utils.set_random_seed(seed)
    mixed, exact = build("mixed_float16"), build("float64")
    exact.set_weights(mixed.get_weights())
    weights = [v.numpy() for v in mixed.trainable_variables]
    assert {v.dtype for v in mixed.weights} == {"float32"}

    def loss_of(model):
        statistics = [v.numpy().astype(v.dtype) for v in model.non_trainable_variables]

        def f(values):
            y_pred, _ = model.stateless_call(values, statistics, x, training=True)
            return loss_fn(y, y_pred)

        return f

    _, grads = fs.value_and_grad(loss_of(mixed))(weights)
    _, wanted = fs.value_and_grad(loss_of(exact))([w.astype("float64") for w in weights])
    # a difference step far above float16's rounding of the loss (2^-11 relative), small against its curvature
    differences = central_differences(lambda values: float(loss_of(mixed)(values)), weights, eps=2.0**-5)
    for g, w, d, v in zip(grads, wanted, differences, mixed.trainable_variables):
        assert g.dtype == np.float32, v.path
        np.testing.assert_allclose(g, w, rtol=2.0**-6, atol=2.0**-9, err_msg=f"d loss / d {v.path} vs float64")
        # the differences carry the loss's float16 rounding (2^-11 of a loss near 1, over 2 eps: 2^-6 per side) and
        # a truncation error that grows with the curvature, as the gradient does
        np.testing.assert_allclose(g, d, rtol=2.0**-4, atol=2.0**-5 * max(1.0, float(np.abs(d).max())),
                                   err_msg=f"d loss / d {v.path} vs differences")

"""With `fs.config.set_epsilon`, the reference's gradients of the formulas that read epsilon agree with central finite
differences in float64: where epsilon is a floor or a denominator, the gradient follows the new value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import central_differences

import fitspec_numpy as fs

#: name -> (function of (y_true, y_pred) -> scalar, how y_true is drawn); epsilon matters in each at small values
FORMULAS = {
    "poisson": (lambda t, p: fs.ops.sum(fs.losses.poisson(t, p)), "counts"),
    "mean_absolute_percentage_error": (lambda t, p: fs.ops.sum(fs.losses.mean_absolute_percentage_error(t, p)),
                                       "small"),
    "dice": (lambda t, p: fs.ops.sum(fs.losses.Dice(reduction=None)(t, p)), "small"),
    "tversky": (lambda t, p: fs.ops.sum(fs.losses.Tversky(reduction=None)(t, p)), "small"),
    "unit_norm": (lambda t, p: fs.ops.sum(t * fs.constraints.UnitNorm(axis=0)(p)), "small"),
}


@pytest.mark.parametrize("name", list(FORMULAS))
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), epsilon=st.sampled_from([1e-7, 1e-3, 0.05]))
def test_gradients_with_a_set_epsilon_equal_finite_differences(name, seed, epsilon):
    formula, kind = FORMULAS[name]
    rng = np.random.default_rng(seed)
    p = rng.random((3, 2)) * 0.5 + 0.01
    t = rng.integers(0, 4, size=(3, 2)).astype(float) if kind == "counts" else rng.random((3, 2)) * 0.01
    try:
        fs.config.set_epsilon(epsilon)

        def f(values):
            return float(formula(t, values[0]))

        _, (grad,) = fs.value_and_grad(lambda values: formula(t, values[0]))([p])
        (expected,) = central_differences(f, [p], eps=1e-7)
    finally:
        fs.config.set_epsilon(1e-7)
    np.testing.assert_allclose(np.asarray(grad), expected, rtol=1e-4, atol=1e-6)

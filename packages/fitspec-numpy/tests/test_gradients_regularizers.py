"""Each regularizer's gradient agrees with central finite differences (float64), alone and through a model's loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_gradients import central_differences

import fitspec_numpy as fs

REGULARIZERS = {
    "l1": lambda: fs.regularizers.L1(0.3),
    "l2": lambda: fs.regularizers.L2(0.2),
    "l1_l2": lambda: fs.regularizers.L1L2(l1=0.05, l2=0.4),
    "orthogonal_rows": lambda: fs.regularizers.OrthogonalRegularizer(0.5, mode="rows"),
    "orthogonal_columns": lambda: fs.regularizers.OrthogonalRegularizer(0.7, mode="columns"),
}


def away_from_kinks(x):
    """Entries at least 0.05 from 0, where |x| bends (the difference quotient straddles the kink)."""
    return np.where(np.abs(x) < 0.05, np.sign(x) * 0.05 + x, x)


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
@given(rows=st.integers(2, 5), cols=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_regularizer_gradient_matches_central_differences(name, rows, cols, seed):
    regularizer = REGULARIZERS[name]()
    x = away_from_kinks(np.random.default_rng(seed).normal(size=(rows, cols)))
    rows_norms = np.linalg.norm(x, axis=1 if name != "orthogonal_columns" else 0)
    if name.startswith("orthogonal"):  # |cos| bends where two rows are orthogonal: keep pairs away from it
        units = x / rows_norms[:, None] if name == "orthogonal_rows" else (x / rows_norms).T
        cosines = units @ units.T
        if np.min(np.abs(cosines[~np.eye(len(cosines), dtype=bool)])) < 1e-3:
            return

    def penalty(values):
        return float(np.asarray(regularizer(values[0])))

    _, (grad,) = fs.value_and_grad(lambda v: regularizer(v[0]))([x])
    np.testing.assert_allclose(grad, central_differences(penalty, [x])[0], rtol=1e-5, atol=1e-8)


def test_l1_subgradient_at_zero_is_zero():
    _, grad = fs.value_and_grad(lambda v: fs.regularizers.L1(0.5)(v))(np.array([0.0, -2.0, 3.0]))
    np.testing.assert_array_equal(grad, [0.0, -0.5, 0.5])


def test_a_models_regularized_loss_gradient_matches_central_differences():
    """Weight penalties (kernel, bias) and an activity penalty, summed into the loss the trainer differentiates."""
    fs.utils.set_random_seed(3)
    model = fs.Sequential([
        fs.Input(shape=(4,)),
        fs.layers.Dense(3, activation="tanh", kernel_regularizer=fs.regularizers.OrthogonalRegularizer(0.3),
                        bias_regularizer=fs.regularizers.L2(0.5), bias_initializer=fs.initializers.Constant(0.2),
                        activity_regularizer=fs.regularizers.L1L2(l1=0.1, l2=0.2)),
        fs.layers.Dense(2, kernel_regularizer=fs.regularizers.L1(0.05)),
    ])
    model.compile(loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    weights = [away_from_kinks(w) for w in model.get_weights()]

    def loss_of(values):
        y_pred, _ = model.stateless_call(values, [], x, training=True)
        total, _ = model._compute_loss_terms(y, y_pred, None)
        return total

    _, grads = fs.value_and_grad(loss_of)(weights)
    expected = central_differences(lambda values: float(np.asarray(loss_of(values))), weights)
    for grad, want in zip(grads, expected):
        np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-8)

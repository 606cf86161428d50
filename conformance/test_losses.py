"""Losses against plain numpy formulas on random inputs, with and without sample_weight.

Rule: loss = sum(per_sample * sample_weight) / number_of_samples ("sum_over_batch_size").
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import reference as ref
from conformance.assertions import assert_close
from conformance.strategies import probabilities, regression_pair
from conformance.tolerances import tolerance

REGRESSION = [
    ("MeanSquaredError", "mean_squared_error", ref.mse),
    ("MeanAbsoluteError", "mean_absolute_error", ref.mae),
]


def value(fs, x):
    return np.asarray(fs.ops.convert_to_numpy(x), dtype=np.float64)


@pytest.mark.parametrize("cls,fn,formula", REGRESSION, ids=[r[0] for r in REGRESSION])
@given(data=regression_pair())
def test_regression_losses_match_numpy(fs, precision, device, cls, fn, formula, data):
    y, p, w = data
    rtol, atol = tolerance(precision, device)
    loss = getattr(fs.losses, cls)()
    assert_close(value(fs, loss(y, p)), ref.reduce_sum_over_batch_size(formula(y, p)), rtol, atol, cls)
    assert_close(value(fs, loss(y, p, sample_weight=w)), ref.reduce_sum_over_batch_size(formula(y, p), w),
                 rtol, atol, f"{cls} with sample_weight")
    assert_close(value(fs, getattr(fs.losses, fn)(y, p)), formula(y, p), rtol, atol, fn)


@given(data=probabilities())
def test_crossentropies_match_numpy(fs, precision, device, data):
    onehot, p, labels, logits, w = data
    rtol, atol = tolerance(precision, device)
    rtol, atol = max(rtol, 1e-6 if precision == "float64" else rtol), atol
    checks = [
        (fs.losses.CategoricalCrossentropy(), onehot, p, ref.categorical_crossentropy(onehot, p)),
        (fs.losses.CategoricalCrossentropy(from_logits=True), onehot, logits,
         ref.categorical_crossentropy(onehot, logits, from_logits=True)),
        (fs.losses.SparseCategoricalCrossentropy(), labels, p, ref.sparse_categorical_crossentropy(labels, p)),
        (fs.losses.SparseCategoricalCrossentropy(from_logits=True), labels.reshape(-1, 1), logits,
         ref.sparse_categorical_crossentropy(labels, logits, from_logits=True)),
    ]
    for loss, y, pred, per_sample in checks:
        name = f"{type(loss).__name__}(from_logits={loss._fn_kwargs['from_logits']})"
        assert_close(value(fs, loss(y, pred)), ref.reduce_sum_over_batch_size(per_sample), rtol, atol, name)
        assert_close(value(fs, loss(y, pred, sample_weight=w)), ref.reduce_sum_over_batch_size(per_sample, w),
                     rtol, atol, f"{name} with sample_weight")


@given(data=probabilities(min_cols=1, max_cols=4))
def test_binary_crossentropy_matches_numpy(fs, precision, device, data):
    _, p, _, logits, w = data
    targets = (p > 0.3).astype(np.float64)
    rtol, atol = tolerance(precision, device)
    rtol = max(rtol, 1e-6) if precision == "float64" else rtol
    for from_logits, pred in ((False, p), (True, logits)):
        loss = fs.losses.BinaryCrossentropy(from_logits=from_logits)
        per_sample = ref.binary_crossentropy(targets, pred, from_logits)
        assert_close(value(fs, loss(targets, pred)), ref.reduce_sum_over_batch_size(per_sample), rtol, atol,
                     f"BinaryCrossentropy(from_logits={from_logits})")
        assert_close(value(fs, loss(targets, pred, sample_weight=w)), ref.reduce_sum_over_batch_size(per_sample, w),
                     rtol, atol, f"BinaryCrossentropy(from_logits={from_logits}) with sample_weight")


def test_loss_names_resolve_to_the_same_losses(fs):
    y, p = np.array([[0.0, 1.0], [1.0, 0.5]]), np.array([[0.2, 0.9], [0.4, 0.1]])
    for name, cls, fn in (("mse", "MeanSquaredError", "mean_squared_error"),
                          ("mae", "MeanAbsoluteError", "mean_absolute_error"),
                          ("binary_crossentropy", "BinaryCrossentropy", "binary_crossentropy")):
        # as Keras 3: a function's name (or alias) gives the function, a class's name an instance
        assert fs.losses.get(name) is getattr(fs.losses, fn)
        by_class_name = fs.losses.get(cls)
        assert type(by_class_name).__name__ == cls
        assert value(fs, by_class_name(y, p)) == value(fs, getattr(fs.losses, cls)()(y, p))
        assert value(fs, by_class_name(y, p)) == np.mean(value(fs, fs.losses.get(name)(y, p)))


def test_function_loss_is_reduced_over_the_batch(fs):
    def custom_mean_squared_error(y_true, y_pred):
        return fs.ops.mean(fs.ops.square(y_true - y_pred), axis=-1)

    loss = fs.losses.get(custom_mean_squared_error)
    y, p, w = np.array([[1.0], [2.0], [3.0]]), np.array([[1.5], [2.0], [1.0]]), np.array([1.0, 0.0, 2.0])
    assert loss.name == "custom_mean_squared_error"
    np.testing.assert_allclose(value(fs, loss(y, p, sample_weight=w)), (0.25 * 1 + 0 + 4.0 * 2) / 3, rtol=1e-6)


@pytest.mark.parametrize("name", list(ref.NEW_LOSSES))
@given(data=regression_pair(), binary=st.booleans())
def test_the_breadth_issues_losses_match_numpy(fs, precision, device, name, data, binary):
    y, p, w = data
    if binary or name in ("KLDivergence", "Poisson", "MeanSquaredLogarithmicError"):
        y, p = np.abs(y) / 3, np.abs(p) / 3 + 0.01  # probabilities / rates
    if binary:
        y = (y > 0.5).astype(np.float64)
    rtol, atol = tolerance(precision, device)
    rtol = max(rtol, 1e-6) if precision == "float64" else max(rtol, 1e-3)
    loss = getattr(fs.losses, name)()
    formula = ref.NEW_LOSSES[name]
    assert_close(value(fs, loss(y, p, sample_weight=w)), ref.reduce_sum_over_batch_size(formula(y, p), w),
                 rtol, max(atol, 1e-5 if name == "MeanAbsolutePercentageError" else atol), name)

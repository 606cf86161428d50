"""The reference's gradients of the losses of issue 16 (and the options added to the older ones) agree with central
finite differences in float64; CTC equals the sum over its alignments, enumerated."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import central_differences

import fitspec_numpy as fs


def _probabilities(rng, n, c):
    p = rng.random((n, c)) + 0.05
    return p / p.sum(-1, keepdims=True)


def _data(kind, rng, n=5, c=3):
    """(y_true, y_pred) of a kind; y_pred keeps clear of the clipping bounds and the hinges' kinks."""
    if kind == "binary":
        return rng.integers(0, 2, size=(n, c)).astype(float), rng.random((n, c)) * 0.9 + 0.05
    if kind == "binary_logits":
        return rng.integers(0, 2, size=(n, c)).astype(float), rng.normal(size=(n, c)) * 2
    if kind == "onehot":
        return np.eye(c)[rng.integers(0, c, size=n)], _probabilities(rng, n, c)
    if kind == "onehot_logits":
        return np.eye(c)[rng.integers(0, c, size=n)], rng.normal(size=(n, c)) * 2
    if kind == "sparse":
        return rng.integers(0, c, size=(n,)).astype(float), _probabilities(rng, n, c)
    if kind == "sparse_logits":
        return rng.integers(0, c, size=(n,)).astype(float), rng.normal(size=(n, c))
    if kind == "hinge":
        y = rng.choice([-1.0, 1.0], size=(n, c))
        margin = rng.random((n, c)) * 1.8 + 0.1  # t p in (0.1, 1.9): |1 - t p| >= ... away from 1 below
        margin = np.where(np.abs(margin - 1.0) < 0.05, margin + 0.1, margin)
        return y, y * margin
    if kind == "embeddings":
        e = rng.normal(size=(n + 3, 4))
        return rng.integers(0, 2, size=(n + 3,)).astype(float), e / np.linalg.norm(e, axis=-1, keepdims=True)
    raise ValueError(kind)


LOSSES = {
    "binary_focal": (lambda: fs.losses.BinaryFocalCrossentropy(), "binary"),
    "binary_focal_balanced": (lambda: fs.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3,
                                                                        gamma=1.5, label_smoothing=0.1), "binary"),
    "binary_focal_logits": (lambda: fs.losses.BinaryFocalCrossentropy(from_logits=True, axis=0), "binary_logits"),
    "categorical_focal": (lambda: fs.losses.CategoricalFocalCrossentropy(label_smoothing=0.1), "onehot"),
    "categorical_focal_logits": (lambda: fs.losses.CategoricalFocalCrossentropy(from_logits=True, gamma=3.0),
                                 "onehot_logits"),
    "generalized_ce": (lambda: fs.losses.CategoricalGeneralizedCrossEntropy(q=0.3), "sparse"),
    "categorical_hinge": (lambda: fs.losses.CategoricalHinge(), "onehot_logits"),
    "squared_hinge": (lambda: fs.losses.SquaredHinge(), "hinge"),
    "dice": (lambda: fs.losses.Dice(), "binary"),
    "dice_axis": (lambda: fs.losses.Dice(axis=1, reduction="sum"), "binary"),
    "tversky": (lambda: fs.losses.Tversky(alpha=0.2, beta=0.8, axis=1), "binary"),
    "circle": (lambda: fs.losses.Circle(gamma=5.0, margin=0.3), "embeddings"),
    "circle_keep_diagonal": (lambda: fs.losses.Circle(gamma=3.0, remove_diagonal=False,
                                                      reduction="mean_with_sample_weight"), "embeddings"),
    "bce_smoothing": (lambda: fs.losses.BinaryCrossentropy(label_smoothing=0.2), "binary"),
    "bce_logits_smoothing_axis": (lambda: fs.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=0),
                                  "binary_logits"),
    "cce_smoothing": (lambda: fs.losses.CategoricalCrossentropy(label_smoothing=0.3), "onehot"),
    "cce_logits_axis": (lambda: fs.losses.CategoricalCrossentropy(from_logits=True, axis=0), "onehot_logits"),
    "scce_ignore_class": (lambda: fs.losses.SparseCategoricalCrossentropy(ignore_class=1), "sparse"),
    "scce_logits_ignore_class": (lambda: fs.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0,
                                                                                 reduction="sum"), "sparse_logits"),
}


@pytest.mark.parametrize("name", list(LOSSES))
@settings(max_examples=4, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), weighted=st.booleans())
def test_loss_gradients_match_central_differences(name, seed, weighted):
    fs.config.set_floatx("float64")
    rng = np.random.default_rng(seed)
    make, kind = LOSSES[name]
    y, p = _data(kind, rng)
    loss = make()
    weights = rng.random(len(y)) + 0.1 if weighted and name not in ("dice", "binary_focal_logits",
                                                                    "bce_logits_smoothing_axis",
                                                                    "cce_logits_axis") else None
    _, (grad,) = fs.value_and_grad(lambda values: loss(y, values[0], sample_weight=weights))([p])
    (expected,) = central_differences(lambda values: float(loss(y, values[0], sample_weight=weights)), [p])
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7, err_msg=name)


def _ctc_by_enumeration(labels, logits):
    """-log of the total probability of every alignment of T steps that collapses (merge repeats, drop 0s) to
    `labels` (its non-zero prefix)."""
    target = tuple(int(v) for v in labels if v != 0)
    steps, classes = logits.shape
    log_p = logits - np.log(np.sum(np.exp(logits - logits.max(-1, keepdims=True)), -1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = tuple(k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k))
        if collapsed == target:
            total += np.exp(sum(log_p[t, k] for t, k in enumerate(path)))
    return -np.log(total)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), steps=st.integers(3, 5))
def test_ctc_is_the_negative_log_of_the_sum_over_alignments(seed, steps):
    rng = np.random.default_rng(seed)
    labels = np.array([[1, 2, 0], [2, 2, 0], [3, 0, 0], [0, 0, 0], [1, 3, 1]], dtype=float)
    if steps < 5:
        labels = labels[:4]  # (1, 3, 1) needs 4 steps at least; 5 keeps the enumeration small
    logits = rng.normal(size=(len(labels), steps, 4)) * 1.5
    got = fs.losses.ctc(labels, logits)
    expected = [_ctc_by_enumeration(row, lg) for row, lg in zip(labels, logits)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_ctc_gradient_matches_central_differences(seed):
    rng = np.random.default_rng(seed)
    labels = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]], dtype=float)
    logits = rng.normal(size=(3, 6, 4))
    loss = fs.losses.CTC()
    _, (grad,) = fs.value_and_grad(lambda values: loss(labels, values[0]))([logits])
    (expected,) = central_differences(lambda values: float(loss(labels, values[0])), [logits])
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)

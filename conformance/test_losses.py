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
        np.testing.assert_allclose(value(fs, by_class_name(y, p)), np.mean(value(fs, fs.losses.get(name)(y, p))),
                                   rtol=1e-6)


def test_function_loss_is_reduced_over_the_batch(fs):
    def custom_mean_squared_error(y_true, y_pred):
        return fs.ops.mean(fs.ops.square(y_true - y_pred), axis=-1)

    assert fs.losses.get(custom_mean_squared_error) is custom_mean_squared_error  # as Keras 3's losses.get
    model = fs.Sequential([fs.Input(shape=(1,)), fs.layers.Dense(1)])
    model.compile(loss=custom_mean_squared_error)  # compile wraps it, as Keras does
    loss = model.loss if isinstance(model.loss, fs.losses.Loss) else fs.losses.LossFunctionWrapper(model.loss)
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


# -- the losses of issue 16 and the options of the older ones (docs/SPEC.md 5.5) ----------------------------------
EPS = 1e-7


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _normalized(p, axis=-1):
    return np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)


def _binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p_t = t * p + (1 - t) * (1 - p)
    w = t * alpha + (1 - t) * (1 - alpha) if apply_class_balancing else 1.0
    return np.mean(w * (1 - p_t) ** gamma * _bce(t, p), axis=-1)


def _categorical_focal(t, p, alpha=0.25, gamma=2.0, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    q = _normalized(p)
    return np.sum(-alpha * (1 - q) ** gamma * t * np.log(q), axis=-1)


def _hinge_targets(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


#: class -> (options, target kind, numpy formula of (y_true, y_pred) per sample)
NEW_LOSS_FORMULAS = {
    "BinaryFocalCrossentropy": ({"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1},
                                "binary", lambda t, p: _binary_focal(t, p, True, 0.4, 1.5, 0.1)),
    "CategoricalFocalCrossentropy": ({"alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.2}, "onehot",
                                     lambda t, p: _categorical_focal(t, p, 0.5, 3.0, 0.2)),
    "CategoricalGeneralizedCrossEntropy": ({"q": 0.3}, "sparse",
                                           lambda t, p: (1 - np.take_along_axis(p, t.astype(int)[:, None], -1)[:, 0]
                                                         ** 0.3) / 0.3),
    "CategoricalHinge": ({}, "onehot", lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0)),
    "SquaredHinge": ({}, "binary", lambda t, p: np.mean(np.maximum(1 - _hinge_targets(t) * p, 0) ** 2, -1)),
    "Dice": ({"axis": 1}, "binary", lambda t, p: 1 - 2 * np.sum(t * p, 1) / (t.sum(1) + p.sum(1) + EPS)),
    "Tversky": ({"alpha": 0.3, "beta": 0.7, "axis": 1}, "binary",
                lambda t, p: 1 - np.sum(t * p, 1) / (np.sum(t * p, 1) + 0.3 * np.sum((1 - p) * t, 1)
                                                      + 0.7 * np.sum(p * (1 - t), 1) + EPS)),
    "BinaryCrossentropy": ({"label_smoothing": 0.2}, "binary",
                           lambda t, p: np.mean(_bce(t * 0.8 + 0.1, p), -1)),
    "CategoricalCrossentropy": ({"label_smoothing": 0.3}, "onehot",
                                lambda t, p: -np.sum((t * 0.7 + 0.3 / t.shape[-1]) * np.log(_normalized(p)), -1)),
}


def _targets(kind, onehot, p, labels):
    if kind == "onehot":
        return onehot
    if kind == "sparse":
        return labels.astype(np.float64)
    return (p > 0.3).astype(np.float64)


@pytest.mark.parametrize("name", list(NEW_LOSS_FORMULAS))
@given(data=probabilities(min_cols=2, max_cols=4))
def test_the_losses_issue_losses_match_numpy(fs, precision, device, name, data):
    onehot, p, labels, _, w = data
    options, kind, formula = NEW_LOSS_FORMULAS[name]
    y = _targets(kind, onehot, p, labels)
    rtol, atol = tolerance(precision, device)
    rtol, atol = (max(rtol, 1e-6), atol) if precision == "float64" else (max(rtol, 1e-3), max(atol, 1e-5))
    loss = getattr(fs.losses, name)(**options)
    assert_close(value(fs, loss(y, p, sample_weight=w)), ref.reduce_sum_over_batch_size(formula(y, p), w),
                 rtol, atol, f"{name}({options})")
    function = getattr(fs.losses, loss.fn.__name__)
    assert_close(value(fs, function(y, p, **options)), formula(y, p), rtol, atol, f"{loss.fn.__name__}")


@given(data=probabilities(min_cols=2, max_cols=4), reduction=st.sampled_from(
    ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]))
def test_every_reduction_and_ignore_class_reduce_as_keras(fs, precision, device, data, reduction):
    """Values v, weights w, kept mask m (y != ignore_class): sum_over_batch_size and mean give
    sum(v w m) / sum(m); sum sum(v w m); none / None the values (0 where ignored); mean_with_sample_weight
    sum(v w m) / sum(w m)."""
    _, p, labels, logits, w = data
    rtol, atol = tolerance(precision, device)
    rtol = max(rtol, 1e-6) if precision == "float64" else max(rtol, 1e-3)
    ignored = 1 if p.shape[-1] > 2 else 0
    loss = fs.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignored, reduction=reduction)
    v = ref.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    m = (labels != ignored).astype(np.float64)
    got = value(fs, loss(labels.astype(np.float64), logits, sample_weight=w))
    if reduction in ("none", None):
        expected = v * w * m
    elif reduction == "sum":
        expected = np.sum(v * w * m)
    elif reduction == "mean_with_sample_weight":
        expected = np.sum(v * w * m) / np.sum(w * m) if np.sum(w * m) else 0.0
    else:
        expected = np.sum(v * w * m) / np.sum(m) if np.sum(m) else 0.0
    assert_close(got, expected, rtol, max(atol, 1e-6), f"reduction={reduction!r}")


def test_circle_averages_over_its_positive_values(fs):
    rng = np.random.default_rng(3)
    e = rng.normal(size=(6, 4))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = np.array([0.0, 1.0, 0.0, 1.0, 2.0, 3.0])  # samples 4 and 5 have no positive: their value is 0
    per_sample = value(fs, fs.losses.circle(labels, e, gamma=10.0, margin=0.25))
    assert np.all(per_sample[4:] == 0.0) and np.all(per_sample[:4] > 0.0)
    d = np.maximum(1 - e @ e.T, 0)
    positive = (labels[:, None] == labels[None, :]) & ~np.eye(6, dtype=bool)
    negative = labels[:, None] != labels[None, :]
    pos = -10.0 * np.maximum(0.25 + d, 0) * (0.25 - d)
    neg = 10.0 * np.maximum(1.25 - d, 0) * (0.75 - d)

    def lse(x, keep):
        return np.log(np.sum(np.where(keep, np.exp(x), 0.0), axis=1))

    with np.errstate(divide="ignore"):
        expected = np.logaddexp(lse(pos, positive) + lse(neg, negative), 0.0)
    np.testing.assert_allclose(per_sample[:4], expected[:4], rtol=1e-5)
    got = value(fs, fs.losses.Circle(gamma=10.0, margin=0.25)(labels, e))
    np.testing.assert_allclose(got, expected[:4].mean(), rtol=1e-5)


def test_ctc_of_one_label_over_two_steps_is_its_three_alignments(fs):
    """Label (a) over 2 steps: the alignments a a, 0 a, a 0: p = p0(a) p1(a) + p0(0) p1(a) + p0(a) p1(0)."""
    logits = np.random.default_rng(4).normal(size=(1, 2, 3))
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    a = 2
    expected = -np.log(p[0, 0, a] * p[0, 1, a] + p[0, 0, 0] * p[0, 1, a] + p[0, 0, a] * p[0, 1, 0])
    np.testing.assert_allclose(value(fs, fs.losses.ctc(np.array([[a, 0.0]]), logits)), [expected], rtol=1e-5)


def test_every_loss_round_trips_through_serialize_and_get(fs):
    keras_losses = ["BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
                    "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "CategoricalHinge",
                    "Circle", "CosineSimilarity", "Dice", "Hinge", "Huber", "KLDivergence", "LogCosh",
                    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
                    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
                    "Tversky"]
    for name in keras_losses:
        loss = getattr(fs.losses, name)(reduction="sum", name=f"my_{name}")
        config = fs.losses.serialize(loss)
        assert config["class_name"] == name and config["config"]["reduction"] == "sum"
        again = fs.losses.deserialize(config)
        assert type(again) is type(loss) and again.get_config() == loss.get_config()
        assert type(fs.losses.get(name)) is type(loss)
    focal = fs.losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0, label_smoothing=0.1)
    assert fs.losses.get(fs.losses.serialize(focal)).get_config() == focal.get_config()
    assert fs.losses.get("bce") is fs.losses.binary_crossentropy
    assert fs.losses.deserialize(fs.losses.serialize(fs.losses.dice)) is fs.losses.dice
    assert fs.losses.get(None) is None
    assert fs.losses.Huber().name == "huber_loss"  # Keras's default name


def test_bad_loss_arguments_name_the_argument(fs):
    cases = [
        (lambda: fs.losses.MeanSquaredError(reduction="average"), "MeanSquaredError: argument `reduction`"),
        (lambda: fs.losses.CategoricalGeneralizedCrossEntropy(q=1.5), "argument `q` expected a float in \\(0, 1\\)"),
        (lambda: fs.losses.BinaryCrossentropy(label_smoothing=2.0), "argument `label_smoothing`"),
        (lambda: fs.losses.CategoricalCrossentropy(axis=True), "argument `axis` expected an int"),
        (lambda: fs.losses.Huber(delta=0), "Huber: argument `delta`"),
        (lambda: fs.losses.Poisson(dtype="int32"), "Poisson: argument `dtype`"),
        (lambda: fs.losses.get("mean_squared_errors"), "losses.get: argument `identifier`"),
        (lambda: fs.losses.ctc(np.zeros((2, 3, 1)), np.zeros((2, 4, 3))), "ctc: argument `y_true`"),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()

"""Metrics: the numpy formulas on random inputs, and the same result however a batch is split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import reference as ref
from conformance.assertions import assert_close
from conformance.strategies import probabilities, regression_pair, split_points
from conformance.tolerances import tolerance


def result(fs, metric) -> float:
    return float(np.asarray(fs.ops.convert_to_numpy(metric.result()), dtype=np.float64))


REGRESSION = [("MeanSquaredError", ref.mse), ("MeanAbsoluteError", ref.mae)]


@pytest.mark.parametrize("cls,formula", REGRESSION, ids=[r[0] for r in REGRESSION])
@given(data=regression_pair(), weighted=st.booleans())
def test_regression_metrics_match_numpy(fs, precision, device, cls, formula, data, weighted):
    y, p, w = data
    metric = getattr(fs.metrics, cls)()
    metric.update_state(y, p, sample_weight=w if weighted else None)
    expected = ref.weighted_mean(formula(y, p), w if weighted else None)
    assert_close(result(fs, metric), expected, *tolerance(precision, device), cls)


@given(data=probabilities(), weighted=st.booleans())
def test_accuracy_metrics_match_numpy(fs, precision, device, data, weighted):
    onehot, p, labels, _, w = data
    p = p.astype(precision).astype(np.float64)  # the backend sees the input rounded to its precision
    sw = w if weighted else None
    hits = (np.argmax(p, axis=-1) == labels).astype(np.float64)
    rtol, atol = tolerance(precision, device)
    for metric, y in ((fs.metrics.SparseCategoricalAccuracy(), labels.astype(np.float64)),
                      (fs.metrics.SparseCategoricalAccuracy(), labels.reshape(-1, 1)),
                      (fs.metrics.CategoricalAccuracy(), onehot)):
        metric.update_state(y, p, sample_weight=sw)
        assert_close(result(fs, metric), ref.weighted_mean(hits, sw), rtol, atol, type(metric).__name__)
    binary = fs.metrics.BinaryAccuracy(threshold=0.5)
    targets = onehot[:, :1]
    binary.update_state(targets, p[:, :1], sample_weight=sw)
    expected = ref.weighted_mean(((p[:, 0] > 0.5) == (targets[:, 0] == 1)).astype(np.float64), sw)
    assert_close(result(fs, binary), expected, rtol, atol, "BinaryAccuracy")
    exact = fs.metrics.Accuracy()
    exact.update_state(labels.reshape(-1, 1), np.argmax(p, axis=-1).reshape(-1, 1), sample_weight=sw)
    assert_close(result(fs, exact), ref.weighted_mean(hits, sw), rtol, atol, "Accuracy")


@given(values=regression_pair(), data=st.data())
def test_mean_and_sum_are_invariant_to_how_batches_are_split(fs, precision, device, values, data):
    """Mean keeps total += sum(v * w) and count += sum(w): splitting the batch changes nothing."""
    _, v, w = values
    v = v[:, 0]
    cuts = data.draw(split_points(len(v)))
    rtol, atol = tolerance(precision, device)
    for cls, expected in (("Mean", ref.weighted_mean(v, w)), ("Sum", float((v * w).sum()))):
        whole, parts = getattr(fs.metrics, cls)(), getattr(fs.metrics, cls)()
        whole.update_state(v, sample_weight=w)
        for start, stop in zip(cuts, cuts[1:]):
            parts.update_state(v[start:stop], sample_weight=w[start:stop])
        assert_close(result(fs, whole), expected, rtol, atol, f"{cls} in one batch")
        assert_close(result(fs, parts), result(fs, whole), rtol, atol, f"{cls} over chunks {cuts}")


@given(data=regression_pair(), split=st.data())
def test_metric_wrappers_are_invariant_to_how_batches_are_split(fs, precision, device, data, split):
    y, p, w = data
    cuts = split.draw(split_points(len(y)))
    whole, parts = fs.metrics.MeanAbsoluteError(), fs.metrics.MeanAbsoluteError()
    whole.update_state(y, p, sample_weight=w)
    for start, stop in zip(cuts, cuts[1:]):
        parts.update_state(y[start:stop], p[start:stop], sample_weight=w[start:stop])
    assert_close(result(fs, parts), result(fs, whole), *tolerance(precision, device), f"chunks {cuts}")


@given(values=st.lists(st.floats(-100, 100), min_size=1, max_size=12), weight=st.integers(1, 300),
       columns=st.sampled_from([None, 1, 3]))
def test_mean_common_updates_equal_the_weighted_update_exactly(fs, values, weight, columns):
    """The per-step updates' cheap paths (docs/SPEC.md 6.1c) compute what the weighted update computes."""
    dtype = fs.config.floatx()
    x = np.asarray(values, dtype=dtype)
    if columns is not None:
        x = np.repeat(x[:, None], columns, axis=1) * np.linspace(1, 2, columns, dtype=dtype)
    cheap, weighted = fs.metrics.Mean(), fs.metrics.Mean()
    cheap.update_state(fs.ops.convert_to_tensor(x))
    weighted.update_state(fs.ops.convert_to_tensor(x), sample_weight=np.ones(len(x), dtype=dtype))
    scalar = fs.ops.convert_to_tensor(x[0] if columns is None else x[0, 0])
    cheap.update_state(scalar, sample_weight=weight)
    weighted.update_state(scalar, sample_weight=np.asarray(weight, dtype=dtype))
    for a, b in zip(cheap.variables, weighted.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(cheap.result()), fs.ops.convert_to_numpy(weighted.result()))


def test_mean_of_nothing_is_zero_and_reset_restores_it(fs):
    mean = fs.metrics.Mean()
    assert result(fs, mean) == 0.0
    mean.update_state(np.array([2.0, 4.0]))
    assert result(fs, mean) == 3.0
    mean.reset_state()
    assert result(fs, mean) == 0.0


def test_stateless_update_state_matches_update_state_and_touches_no_variable(fs):
    stateful, stateless = fs.metrics.MeanSquaredError(), fs.metrics.MeanSquaredError()
    y, p = np.array([[1.0], [2.0]]), np.array([[0.0], [4.0]])
    stateful.update_state(y, p)
    variables = stateless.stateless_update_state([v.value for v in stateless.variables], y, p)
    assert result(fs, stateless) == 0.0
    assert float(fs.ops.convert_to_numpy(stateless.stateless_result(variables))) == result(fs, stateful) == 2.5


def test_stateless_update_state_rejects_a_variable_list_of_the_wrong_length(fs):
    metric = fs.metrics.Mean(name="tracker")
    with pytest.raises(ValueError, match=r"metric_variables.*2 values.*1 values"):
        metric.stateless_update_state([metric.variables[0].value], np.array([1.0]))


@given(data=probabilities(), weighted=st.booleans())
def test_confusion_metrics_match_numpy(fs, precision, device, data, weighted):
    onehot, p, labels, _, w = data
    p = p.astype(precision).astype(np.float64)
    sw = w if weighted else np.ones_like(w)
    y, scores = onehot[:, 0], p[:, 0]
    rtol, atol = tolerance(precision, device)
    tp, fp, fn = ref.confusion(y, scores, sw, 0.5)
    for metric, expected in ((fs.metrics.Precision(), tp / (tp + fp) if tp + fp else 0.0),
                             (fs.metrics.Recall(), tp / (tp + fn) if tp + fn else 0.0),
                             (fs.metrics.AUC(), ref.roc_auc(y, scores, sw))):
        metric.update_state(y.reshape(-1, 1), scores.reshape(-1, 1), sample_weight=w if weighted else None)
        assert_close(result(fs, metric), expected, max(rtol, 1e-6), max(atol, 1e-6), type(metric).__name__)


@given(data=probabilities(min_cols=3), k=st.integers(1, 3))
def test_top_k_counts_ties_in_favour_of_the_true_class(fs, precision, device, data, k):
    onehot, p, labels, _, w = data
    p = np.round(p, 1)  # ties on purpose
    metric = fs.metrics.TopKCategoricalAccuracy(k=k)
    metric.update_state(onehot, p.astype(precision))
    higher = (p > p[np.arange(len(p)), labels][:, None]).sum(axis=1)
    assert_close(result(fs, metric), np.mean(higher < k), *tolerance(precision, device), f"top-{k}")


@given(data=regression_pair())
def test_root_mean_squared_error_is_the_root_of_the_weighted_mean(fs, precision, device, data):
    y, p, w = data
    metric = fs.metrics.RootMeanSquaredError()
    metric.update_state(y, p, sample_weight=w)
    per_sample = np.mean((p - y) ** 2, axis=-1)
    expected = np.sqrt(ref.weighted_mean(per_sample, w))
    rtol, atol = tolerance(precision, device)
    assert_close(result(fs, metric), expected, max(rtol, 1e-6), max(atol, 1e-6), "RootMeanSquaredError")

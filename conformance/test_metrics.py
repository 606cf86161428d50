"""Metrics: the numpy and scikit-learn formulas on random inputs, the same result however a batch is split, and
what every metric must do (reset, stateless updates, configs, refusing bad arguments)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from conformance import reference as ref
from conformance.assertions import assert_close, assert_refused_by_name
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


# -- issue 16: closed forms on every backend, and what every metric must do ---------------------------------------
ROWS = 24  # fixed shapes: a compiled backend builds each op once, whatever the drawn values
seeds = st.integers(0, 2**32 - 1)


def values(fs, x) -> np.ndarray:
    return np.asarray(fs.ops.convert_to_numpy(x), dtype=np.float64)


def scored_labels(seed, precision, columns=1, levels=10):
    """0/1 labels (both present in every column), scores on a grid of `levels` values strictly between
    thresholds, weights in [0.5, 2]; rounded to the precision the backend computes in."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(ROWS, columns)).astype(np.float64)
    y[0], y[1] = 0.0, 1.0
    p = ((rng.integers(0, levels, size=(ROWS, columns)) + 0.5) / levels).astype(precision).astype(np.float64)
    w = (rng.random(ROWS) * 1.5 + 0.5).astype(precision).astype(np.float64)
    return y, p, w


@settings(max_examples=15)
@given(seed=seeds, weighted=st.booleans())
def test_roc_auc_equals_scikit_learn_when_thresholds_separate_the_scores(fs, precision, device, seed, weighted):
    """Scores on a grid of 10 levels, 200 thresholds between them: Keras's trapezoids are the exact ROC AUC."""
    y, p, w = scored_labels(seed, precision)
    sw = w if weighted else None
    metric = fs.metrics.AUC()
    metric.update_state(y, p, sample_weight=sw)
    expected = sk.roc_auc_score(y[:, 0], p[:, 0], sample_weight=sw)
    assert_close(result(fs, metric), expected, *tolerance(precision, device), "ROC AUC")


@settings(max_examples=15)
@given(seed=seeds, weighted=st.booleans())
def test_pr_auc_lies_between_its_minoring_and_majoring_sums_as_average_precision_does(fs, precision, device, seed,
                                                                                       weighted):
    """Between two thresholds precision moves monotonically along Davis & Goadrich's interpolation, and average
    precision takes it at one end: both lie between the lower (minoring) and upper (majoring) Riemann sums."""
    y, p, w = scored_labels(seed, precision)
    sw = w if weighted else None
    found = {}
    for method in ("interpolation", "minoring", "majoring"):
        metric = fs.metrics.AUC(curve="PR", summation_method=method)
        metric.update_state(y, p, sample_weight=sw)
        found[method] = result(fs, metric)
    rtol, atol = tolerance(precision, device)
    average_precision = sk.average_precision_score(y[:, 0], p[:, 0], sample_weight=sw)
    slack = max(atol, rtol)
    for value, what in ((found["interpolation"], "interpolated PR AUC"), (average_precision, "average precision")):
        assert found["minoring"] - slack <= value <= found["majoring"] + slack, (what, found, average_precision)


@settings(max_examples=15)
@given(seed=seeds, average=st.sampled_from([None, "micro", "macro", "weighted"]), threshold=st.sampled_from(
    [0.25, 0.5, 0.8]), beta=st.sampled_from([None, 0.5, 2.0]), weighted=st.booleans())
def test_f_scores_equal_scikit_learn_at_the_threshold(fs, precision, device, seed, average, threshold, beta,
                                                      weighted):
    y, p, w = scored_labels(seed, precision, columns=3, levels=7)
    sw = w if weighted else None
    if beta is None:
        metric = fs.metrics.F1Score(average=average, threshold=threshold)
    else:
        metric = fs.metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    metric.update_state(y, p, sample_weight=sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sk.fbeta_score(y, (p > threshold).astype(int), beta=1.0 if beta is None else beta,
                                  average=average, sample_weight=sw, zero_division=0)
    rtol, atol = tolerance(precision, device)
    # Keras adds 1e-7 to each denominator: weights of at least 0.5 keep that below 1e-6 relative
    assert_close(values(fs, metric.result()), expected, max(rtol, 2e-6), max(atol, 2e-6), f"F-beta {average}")


@settings(max_examples=15)
@given(seed=seeds, aggregation=st.sampled_from([None, "uniform_average", "variance_weighted_average"]),
       weighted=st.booleans())
def test_r2_score_equals_scikit_learn(fs, precision, device, seed, aggregation, weighted):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(ROWS, 3)).astype(precision).astype(np.float64)
    p = (y + rng.normal(size=(ROWS, 3))).astype(precision).astype(np.float64)
    w = (rng.random(ROWS) + 0.5).astype(precision).astype(np.float64) if weighted else None
    metric = fs.metrics.R2Score(class_aggregation=aggregation)
    metric.update_state(y, p, sample_weight=w)
    multioutput = {None: "raw_values", "uniform_average": "uniform_average",
                   "variance_weighted_average": "variance_weighted"}[aggregation]
    expected = sk.r2_score(y, p, sample_weight=w, multioutput=multioutput)
    rtol, atol = tolerance(precision, device)
    assert_close(values(fs, metric.result()), expected, max(rtol, 1e-6), max(atol, 1e-6), f"R2 {aggregation}")


@settings(max_examples=15)
@given(seed=seeds, targets=st.sampled_from([[0, 1, 2, 3], [1, 3]]), ignore=st.sampled_from([None, 2]),
       weighted=st.booleans())
def test_iou_equals_the_jaccard_score_of_the_classes_that_occur(fs, precision, device, seed, targets, ignore,
                                                                weighted):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, size=ROWS)
    p = np.where(rng.random(ROWS) < 0.5, y, rng.integers(0, 4, size=ROWS))
    w = rng.integers(0, 4, size=ROWS) if weighted else np.ones(ROWS, dtype=np.int64)
    metric = fs.metrics.IoU(num_classes=4, target_class_ids=targets, ignore_class=ignore)
    metric.update_state(y, p, sample_weight=w if weighted else None)
    kept = (y != ignore) & (w > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = sk.jaccard_score(y[kept], p[kept], labels=targets, average=None, sample_weight=w[kept],
                                  zero_division=0) if kept.any() else np.zeros(len(targets))
    occurring = [c in y[kept] or c in p[kept] for c in targets]
    expected = float(np.sum(scores[occurring]) / max(sum(occurring), 1))
    # the division is in float32, as Keras computes IoU, whatever floatx is
    assert_close(result(fs, metric), expected, 1e-6, 1e-6, f"IoU of {targets}")


@settings(max_examples=15)
@given(seed=seeds, weighted=st.booleans())
def test_pearson_correlation_is_the_mean_of_numpy_corrcoef_per_row(fs, precision, device, seed, weighted):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(ROWS, 5)).astype(precision).astype(np.float64)
    p = (y + rng.normal(size=(ROWS, 5))).astype(precision).astype(np.float64)
    w = (rng.random(ROWS) + 0.5).astype(precision).astype(np.float64) if weighted else None
    metric = fs.metrics.PearsonCorrelation()
    metric.update_state(y, p, sample_weight=w)
    per_row = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(y, p)])
    rtol, atol = tolerance(precision, device)
    assert_close(result(fs, metric), ref.weighted_mean(per_row, w), max(rtol, 1e-6), max(atol, 1e-6), "Pearson")
    concordance = fs.metrics.ConcordanceCorrelation()
    concordance.update_state(y, y)
    assert_close(result(fs, concordance), 1.0, max(rtol, 1e-6), max(atol, 1e-6), "concordance of y with itself")


#: one of each metric of issue 16 and its options: (factory, data kind)
METRIC_TABLE = [
    (lambda m: m.TruePositives(thresholds=[0.0, 0.5, 1.0]), "multilabel"),
    (lambda m: m.FalsePositives(), "binary"), (lambda m: m.TrueNegatives(thresholds=0.3), "binary"),
    (lambda m: m.FalseNegatives(thresholds=[0.2, 0.7]), "multilabel"),
    (lambda m: m.Precision(top_k=2, class_id=1), "multilabel"), (lambda m: m.Recall(thresholds=[0.3, 0.6]),
                                                                 "binary"),
    (lambda m: m.AUC(), "binary"), (lambda m: m.AUC(curve="PR", multi_label=True), "multilabel"),
    (lambda m: m.AUC(summation_method="majoring", thresholds=[0.2, 0.5], label_weights=[1.0, 2.0, 0.5]),
     "multilabel"),
    (lambda m: m.AUC(curve="PRGAIN", from_logits=True), "logits"),
    (lambda m: m.PrecisionAtRecall(0.5), "binary"), (lambda m: m.RecallAtPrecision(0.6, num_thresholds=20),
                                                     "binary"),
    (lambda m: m.SensitivityAtSpecificity(0.5, class_id=2), "multilabel"),
    (lambda m: m.SpecificityAtSensitivity(0.5, num_thresholds=1), "binary"),
    (lambda m: m.F1Score(), "onehot"), (lambda m: m.FBetaScore(average="weighted", beta=2.0, threshold=0.4),
                                        "multilabel"),
    (lambda m: m.R2Score(num_regressors=3), "regression"), (lambda m: m.PearsonCorrelation(), "regression"),
    (lambda m: m.ConcordanceCorrelation(), "regression"),
    (lambda m: m.IoU(3, [0, 2], ignore_class=1), "ids"), (lambda m: m.MeanIoU(3, sparse_y_pred=False), "sparse"),
    (lambda m: m.BinaryIoU(threshold=0.4), "binary"), (lambda m: m.OneHotIoU(3, [1, 2]), "onehot"),
    (lambda m: m.OneHotMeanIoU(3), "onehot"), (lambda m: m.SparseTopKCategoricalAccuracy(k=2), "sparse"),
    (lambda m: m.BinaryCrossentropy(label_smoothing=0.1), "binary"),
    (lambda m: m.CategoricalCrossentropy(from_logits=True), "onehot_logits"),
    (lambda m: m.SparseCategoricalCrossentropy(), "sparse"), (lambda m: m.KLDivergence(), "onehot"),
    (lambda m: m.Poisson(), "positive"), (lambda m: m.Hinge(), "binary"), (lambda m: m.LogCoshError(), "regression"),
    (lambda m: m.MeanSquaredLogarithmicError(), "positive"),
    (lambda m: m.SparseCategoricalCrossentropy(ignore_class=1), "sparse"),
]
TABLE_IDS = [f"{i}" for i in range(len(METRIC_TABLE))]


def table_data(kind, seed, precision):
    """(y_true, y_pred, integer-valued sample weights) of ROWS rows, rounded to the precision."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 4, size=ROWS).astype(np.float64)
    labels = rng.integers(0, 3, size=ROWS)
    logits = rng.normal(size=(ROWS, 3)) * 2
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y, p = {
        "binary": (rng.integers(0, 2, size=(ROWS, 1)).astype(np.float64), rng.random((ROWS, 1))),
        "multilabel": (rng.integers(0, 2, size=(ROWS, 3)).astype(np.float64), rng.random((ROWS, 3))),
        "logits": (rng.integers(0, 2, size=(ROWS, 1)).astype(np.float64), logits[:, :1]),
        "onehot": (np.eye(3)[labels], probabilities), "onehot_logits": (np.eye(3)[labels], logits),
        "sparse": (labels.astype(np.float64), probabilities),
        "ids": (labels.astype(np.float64), rng.integers(0, 3, size=ROWS).astype(np.float64)),
        "regression": (rng.normal(size=(ROWS, 3)), rng.normal(size=(ROWS, 3))),
        "positive": (rng.random((ROWS, 3)) * 3, rng.random((ROWS, 3)) * 3),
    }[kind]
    return y, p.astype(precision).astype(np.float64), w


@pytest.mark.parametrize("index", range(len(METRIC_TABLE)), ids=TABLE_IDS)
@settings(max_examples=3)
@given(seed=seeds, weighted=st.booleans())
def test_every_new_metric_accumulates_batches_as_one_update_of_all_data(fs, precision, device, index, seed, weighted):
    make, kind = METRIC_TABLE[index]
    y, p, w = table_data(kind, seed, precision)
    sw = w if weighted else None
    whole, parts = make(fs.metrics), make(fs.metrics)
    whole.update_state(y, p, sample_weight=sw)
    for start in range(0, ROWS, 8):
        parts.update_state(y[start:start + 8], p[start:start + 8],
                           sample_weight=None if sw is None else sw[start:start + 8])
    rtol, atol = tolerance(precision, device)
    assert_close(values(fs, parts.result()), values(fs, whole.result()), max(rtol, 1e-6), max(atol, 1e-6),
                 f"{whole.name} over three batches")


@pytest.mark.parametrize("index", range(len(METRIC_TABLE)), ids=TABLE_IDS)
def test_every_new_metric_resets_and_updates_statelessly_as_it_updates(fs, precision, device, index):
    make, kind = METRIC_TABLE[index]
    y, p, w = table_data(kind, 7, precision)
    stateful, stateless, fresh = make(fs.metrics), make(fs.metrics), make(fs.metrics)
    for metric in (stateful, stateless, fresh):
        metric.build(y.shape, p.shape)
    before = [values(fs, v.value) for v in stateless.variables]
    stateful.update_state(y, p, sample_weight=w)
    state = stateless.stateless_update_state([v.value for v in stateless.variables], y, p, sample_weight=w)
    for variable, value in zip(stateless.variables, before):
        np.testing.assert_array_equal(values(fs, variable.value), value)
    rtol, atol = tolerance(precision, device)
    assert_close(values(fs, stateless.stateless_result(state)), values(fs, stateful.result()), rtol, atol,
                 "stateless_update_state")
    stateful.reset_state()
    for variable, initial in zip(stateful.variables, fresh.variables):
        np.testing.assert_array_equal(values(fs, variable.value), values(fs, initial.value))
    np.testing.assert_array_equal(values(fs, stateful.result()), values(fs, fresh.result()))


def test_metrics_get_resolves_keras_names_and_aliases_to_instances(fs):
    assert isinstance(fs.metrics.get("mse"), fs.metrics.MeanSquaredError)
    assert isinstance(fs.metrics.get("BCE"), fs.metrics.BinaryCrossentropy)
    assert isinstance(fs.metrics.get("log_cosh_error"), fs.metrics.LogCoshError)
    assert isinstance(fs.metrics.get("auc"), fs.metrics.AUC)
    assert isinstance(fs.metrics.get(fs.metrics.R2Score), fs.metrics.R2Score)
    metric = fs.metrics.F1Score()
    assert fs.metrics.get(metric) is metric and fs.metrics.get(None) is None
    assert fs.metrics.get(fs.metrics.pearson_correlation) is fs.metrics.pearson_correlation
    with pytest.raises(ValueError, match=r"metrics.get: argument `identifier` expected .*received 'nope'"):
        fs.metrics.get("nope")


@pytest.mark.parametrize("index", range(len(METRIC_TABLE)), ids=TABLE_IDS)
def test_every_new_metric_serializes_to_a_config_that_rebuilds_it(fs, index):
    make, _ = METRIC_TABLE[index]
    metric = make(fs.metrics)
    config = fs.metrics.serialize(metric)
    assert config["class_name"] == type(metric).__name__
    again = fs.metrics.deserialize(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    assert fs.metrics.get(config).get_config() == metric.get_config()


BAD_METRIC_ARGUMENTS = [
    ("Precision", {"thresholds": 1.5}, "thresholds"), ("Recall", {"top_k": 0}, "top_k"),
    ("TruePositives", {"thresholds": [0.2, -0.1]}, "thresholds"), ("Precision", {"class_id": -1}, "class_id"),
    ("AUC", {"curve": "XY"}, "curve"), ("AUC", {"summation_method": "sum"}, "summation_method"),
    ("AUC", {"num_thresholds": 1}, "num_thresholds"), ("AUC", {"num_labels": 3}, "num_labels"),
    ("AUC", {"label_weights": [-1.0, 1.0]}, "label_weights"),
    ("PrecisionAtRecall", {"recall": 1.5}, "recall"), ("RecallAtPrecision", {"precision": -0.1}, "precision"),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 0}, "num_thresholds"),
    ("F1Score", {"average": "mean"}, "average"), ("FBetaScore", {"beta": 2}, "beta"),
    ("F1Score", {"threshold": 0.0}, "threshold"), ("R2Score", {"class_aggregation": "max"}, "class_aggregation"),
    ("R2Score", {"num_regressors": -1}, "num_regressors"), ("IoU", {"num_classes": 3, "target_class_ids": [3]},
                                                            "target_class_ids"),
    ("MeanIoU", {"num_classes": 0}, "num_classes"), ("BinaryCrossentropy", {"label_smoothing": 2.0},
                                                     "label_smoothing"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0.5}, "ignore_class"),
]


@pytest.mark.parametrize("cls,kwargs,argument", BAD_METRIC_ARGUMENTS,
                         ids=[f"{c}-{a}" for c, _, a in BAD_METRIC_ARGUMENTS])
def test_bad_metric_arguments_are_refused_by_name(fs, cls, kwargs, argument):
    assert_refused_by_name(lambda: getattr(fs.metrics, cls)(**kwargs), cls, argument)


def test_vector_metrics_build_from_the_first_batch_and_refuse_other_ranks(fs):
    metric = fs.metrics.AUC(multi_label=True)
    assert metric.variables == [] and float(values(fs, metric.result())) == 0.0
    metric.update_state(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.2, 0.9], [0.7, 0.4]]))
    assert [tuple(v.shape) for v in metric.variables] == [(200, 2)] * 4
    with pytest.raises(ValueError, match=r"F1Score: argument `y_pred` expected 2D"):
        fs.metrics.F1Score().update_state(np.ones(3), np.ones(3))

"""Confusion-matrix metrics: weighted true/false positive/negative counts at thresholds (Keras 3's rules), and what
is read from them: the counts, precision, recall, a value at a constraint, the area under a curve.

A label is positive when it is non-zero; a prediction is positive at threshold t when it is > t. Where Keras counts
by buckets (evenly spaced thresholds, `is_evenly_spaced`), so does fitspec: the prediction is clipped to [0, 1] and
is positive at the i-th of n thresholds when ceil(p (n - 1)) - 1 >= i (the -1 raised to 0 when the thresholds
reach beyond [0, 1]), which is p > t_i for every p inside [0, 1].
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz
from fitspec.metrics.base import Metric
from fitspec.reduction import squeeze_or_expand_to_same_rank

#: what a prediction outside the top k becomes before the thresholds (Keras's NEG_INF)
NEG_INF = -1e10
COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def is_evenly_spaced(thresholds, epsilon) -> bool:
    """At least 3 thresholds equal to i / (n - 1) within `epsilon` (fs.config.epsilon()): Keras counts them by
    buckets."""
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=epsilon))


def parse_thresholds(where: str, thresholds, default):
    """A list of floats in [0, 1] (`default` when None)."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    if not values or not all(isinstance(t, (int, float, np.number)) and not isinstance(t, bool) and 0 <= t <= 1
                             for t in values):
        raise invalid_argument(where, "thresholds", "a float or a list of floats in [0, 1]", thresholds)
    return [float(t) for t in values]


def top_k_mask(ops, x, k):
    """1 where x is among the k largest of its last axis (ties to the lower index, as top_k), else 0: x_j is in
    when fewer than k entries are larger or equal and earlier."""
    n, dtype = ops.shape(x)[-1], ops.dtype(x)
    a, b = ops.expand_dims(x, -1), ops.expand_dims(x, -2)  # a[..., j, 0] = x_j, b[..., 0, i] = x_i
    earlier = ops.convert_to_tensor(np.tril(np.ones((n, n)), -1), dtype=dtype)  # [j, i]: 1 where i < j
    ahead = ops.cast(ops.greater(b, a), dtype) + ops.cast(ops.equal(b, a), dtype) * earlier
    return ops.less(ops.sum(ahead, axis=-1), float(k))


def update_counts(metric, variables: dict, y_true, y_pred, thresholds, *, evenly=False, top_k=None, class_id=None,
                  sample_weight=None, multi_label=False, label_weights=None):
    """Add the weighted counts of y_true, y_pred at `thresholds` to `variables` ({count name: Variable}); each
    count has one entry per threshold (per threshold and label when `multi_label`)."""
    ops, dtype = metric.ops, metric.dtype
    y_true = ops.cast(ops.convert_to_tensor(y_true), dtype)
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(ops, y_pred, y_true)
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(ops.convert_to_tensor(sample_weight), dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(ops, y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = ops.where(top_k_mask(ops, y_pred, top_k), y_pred, NEG_INF)
    if class_id is not None:
        if len(ops.shape(y_pred)) < 2:
            raise invalid_argument(type(metric).__name__, "y_pred", "a 2D array (num_samples, num_classes) with "
                                   "class_id", f"<shape {tuple(ops.shape(y_pred))}>")
        y_true, y_pred = y_true[..., class_id:class_id + 1], y_pred[..., class_id:class_id + 1]
    shape = tuple(ops.shape(y_pred))
    weights = None if sample_weight is None else ops.broadcast_to(sample_weight, shape)
    if label_weights is not None and not multi_label:
        lw = ops.broadcast_to(ops.expand_dims(ops.cast(ops.convert_to_tensor(label_weights), dtype), 0), shape)
        weights = lw if weights is None else weights * lw
    if not multi_label:
        y_true, y_pred = ops.reshape(y_true, (-1,)), ops.reshape(y_pred, (-1,))
        weights = None if weights is None else ops.reshape(weights, (-1,))
    n = len(thresholds)
    # thresholds along a new first axis: (n, samples) or (n, samples, labels)
    extra = (n,) + (1,) * len(ops.shape(y_pred))
    if evenly:
        clipped = ops.clip(y_pred, 0.0, 1.0)
        bucket = ops.ceil(clipped * float(n - 1)) - 1.0
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:
            bucket = ops.relu(bucket)
        index = ops.reshape(ops.arange(0, n, dtype=dtype), extra)
        predicted = ops.greater_equal(ops.expand_dims(bucket, 0), index)
    else:
        cut = ops.reshape(ops.convert_to_tensor(np.asarray(thresholds, dtype=np.float64), dtype=dtype), extra)
        predicted = ops.greater(ops.expand_dims(y_pred, 0), cut)
    positive = ops.cast(predicted, dtype)
    actual = ops.expand_dims(ops.cast(ops.not_equal(y_true, 0.0), dtype), 0)
    w = 1.0 if weights is None else ops.expand_dims(weights, 0)
    cells = {"true_positives": positive * actual, "false_positives": positive * (1.0 - actual),
             "true_negatives": (1.0 - positive) * (1.0 - actual), "false_negatives": (1.0 - positive) * actual}
    for name, variable in variables.items():
        variable.assign_add(ops.sum(cells[name] * w, axis=1))


class _Counts(Metric):
    """The counts named `counted` at `thresholds`, kept in Variables of those names."""

    targets = "probabilities"
    counted: ClassVar[tuple] = COUNTS

    def _init_counts(self, thresholds, evenly, shape=()):
        self.thresholds, self._evenly = thresholds, evenly
        for name in self.counted:
            setattr(self, name, self.add_variable((len(thresholds), *shape), name=name))

    def _variables_by_count(self):
        return {name: getattr(self, name) for name in self.counted}


class _ConditionCount(_Counts):
    """One count at `thresholds` (default 0.5): a scalar for one threshold, else one per threshold."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        parsed = parse_thresholds(type(self).__name__, thresholds, 0.5)
        self._init_counts(parsed, is_evenly_spaced(parsed, fuzz(self.ops)))

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_counts(self, self._variables_by_count(), y_true, y_pred, self.thresholds, evenly=self._evenly,
                      sample_weight=sample_weight)

    def result(self):
        value = getattr(self, self.counted[0]).value
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    counted = ("true_positives",)


class FalsePositives(_ConditionCount):
    counted = ("false_positives",)


class TrueNegatives(_ConditionCount):
    counted = ("true_negatives",)


class FalseNegatives(_ConditionCount):
    counted = ("false_negatives",)


class _RatioAtThreshold(_Counts):
    """tp / (tp + `other`) at `thresholds` (default 0.5, or NEG_INF with `top_k`), among the `top_k` predictions
    of a row, of the class `class_id`; a scalar for one threshold."""

    direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise invalid_argument(where, "top_k", "None or an int >= 1", top_k)
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, int) or class_id < 0):
            raise invalid_argument(where, "class_id", "None or an int >= 0", class_id)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        parsed = parse_thresholds(where, thresholds, 0.5 if top_k is None else NEG_INF)
        self._init_counts(parsed, is_evenly_spaced(parsed, fuzz(self.ops)))

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_counts(self, self._variables_by_count(), y_true, y_pred, self.thresholds, evenly=self._evenly,
                      top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)

    def result(self):
        tp = self.true_positives.value
        value = self.ops.divide_no_nan(tp, tp + getattr(self, self.counted[1]).value)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_RatioAtThreshold):
    """tp / (tp + fp)"""

    counted = ("true_positives", "false_positives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class Recall(_RatioAtThreshold):
    """tp / (tp + fn)"""

    counted = ("true_positives", "false_negatives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


def _rates(ops, tp, fp, tn, fn):
    """(recall = sensitivity = tpr, precision, specificity = tn / (tn + fp), fpr), each 0 where undefined."""
    return (ops.divide_no_nan(tp, tp + fn), ops.divide_no_nan(tp, tp + fp), ops.divide_no_nan(tn, tn + fp),
            ops.divide_no_nan(fp, fp + tn))


class _AtConstraint(_Counts):
    """The largest `dependent` rate over the thresholds whose `constrained` rate is >= `value` (0 if none), from the
    counts at num_thresholds thresholds 0, 1/(n-1), ..., 1 (0.5 alone for n = 1)."""

    direction = "up"
    #: (the constrained rate, the rate returned): indices into `_rates`
    rates: ClassVar[tuple] = (0, 0)
    argument: ClassVar[str] = ""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise invalid_argument(where, self.argument, "a number in [0, 1]", value)
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds < 1:
            raise invalid_argument(where, "num_thresholds", "an int > 0", num_thresholds)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        if num_thresholds == 1:
            self._init_counts([0.5], False)
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._init_counts([0.0, *inner, 1.0], True)

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_counts(self, self._variables_by_count(), y_true, y_pred, self.thresholds, evenly=self._evenly,
                      class_id=self.class_id, sample_weight=sample_weight)

    def result(self):
        ops = self.ops
        rates = _rates(ops, *(getattr(self, n).value for n in COUNTS))
        constrained, dependent = rates[self.rates[0]], rates[self.rates[1]]
        feasible = ops.greater_equal(constrained, self.value)
        return ops.maximum(ops.max(ops.where(feasible, dependent, 0.0)), 0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self.argument: self.value}


class SensitivityAtSpecificity(_AtConstraint):
    rates, argument = (2, 0), "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    rates, argument = (0, 2), "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    rates, argument = (0, 1), "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    rates, argument = (1, 0), "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN", "prgain": "PRGAIN"}
SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation", "minoring": "minoring",
              "Minoring": "minoring", "majoring": "majoring", "Majoring": "majoring"}


class AUC(_Counts):
    """Area under the ROC, PR or PR-gain curve from the counts at thresholds -eps, t_1, ..., 1 + eps (Keras 3).

    t_i = i / (n - 1) for `num_thresholds` n, or the sorted explicit `thresholds`. With x, y the curve's points
    at the thresholds, the area is Σ_i (x_i - x_{i+1}) h_i, h_i the mean ("interpolation"), min ("minoring") or max
    ("majoring") of y_i, y_{i+1}; ROC: x = fp/(fp+tn), y = tp/(tp+fn); PR: x = recall, y = precision, and with
    "interpolation" Davis & Goadrich's interpolation, Σ slope_i (Δtp_i + b_i log(p_i / p_{i+1})) / (tp+fn)_{i+1}
    with p = tp + fp, slope_i = Δtp_i / Δp_i, b_i = tp_{i+1} - slope_i p_{i+1}. `multi_label`: one curve per label
    (the last axis of rank-2 predictions), averaged, weighted by `label_weights` when given; otherwise the labels
    are flattened into one curve, each weighted by its label weight. `from_logits`: sigmoid first.
    """

    direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name or "auc", dtype=dtype)
        if curve not in CURVES:
            raise invalid_argument("AUC", "curve", "one of 'ROC', 'PR', 'PRGAIN'", curve)
        if summation_method not in SUMMATIONS:
            raise invalid_argument("AUC", "summation_method", "one of 'interpolation', 'minoring', 'majoring'",
                                   summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds("AUC", thresholds, None))
            evenly = is_evenly_spaced(np.array([0.0, *inner, 1.0]), fuzz(self.ops))
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise invalid_argument("AUC", "num_thresholds", "an int > 1", num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self.num_thresholds = len(inner) + 2
        self.curve, self.summation_method = CURVES[curve], SUMMATIONS[summation_method]
        self.multi_label, self.num_labels, self._from_logits = bool(multi_label), num_labels, bool(from_logits)
        if num_labels is not None and not multi_label:
            raise invalid_argument("AUC", "num_labels", "None unless multi_label=True", num_labels)
        if num_labels is not None and (isinstance(num_labels, bool) or not isinstance(num_labels, int)
                                       or num_labels < 1):
            raise invalid_argument("AUC", "num_labels", "None or an int >= 1", num_labels)
        self.label_weights = None
        if label_weights is not None:
            weights = np.asarray(label_weights, dtype=np.float64)
            if weights.ndim != 1 or not np.all(weights >= 0):
                raise invalid_argument("AUC", "label_weights", "a 1D list of non-negative weights", label_weights)
            self.label_weights = [float(w) for w in weights]
        self._thresholds = [0.0 - fuzz(self.ops), *inner, 1.0 + fuzz(self.ops)]
        self._evenly = evenly
        self.thresholds = list(self._thresholds)
        self._built = False
        if not self.multi_label:
            self._init_counts(self._thresholds, evenly)
            self._built = True
        elif num_labels:
            self.build(None, (None, num_labels))

    def build(self, y_true_shape, y_pred_shape):
        """Multi-label counts have one column per label: the last axis of rank-2 predictions."""
        if self._built:
            return
        if len(y_pred_shape) != 2:
            raise invalid_argument("AUC", "y_pred", "predictions of rank 2 with multi_label=True",
                                   f"<shape {tuple(y_pred_shape)}>")
        self._init_counts(self._thresholds, self._evenly, (int(y_pred_shape[1]),))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = self.ops
        y_pred = ops.convert_to_tensor(y_pred)
        self.build(None, ops.shape(y_pred))
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        update_counts(self, self._variables_by_count(), y_true, y_pred, self._thresholds, evenly=self._evenly,
                      sample_weight=sample_weight, multi_label=self.multi_label,
                      label_weights=None if self.multi_label else self.label_weights)

    def _by_label(self, terms):
        """Σ over thresholds; for multi-label the mean over labels (weighted by label_weights)."""
        ops = self.ops
        if not self.multi_label:
            return ops.sum(terms)
        by_label = ops.sum(terms, axis=0)
        if self.label_weights is None:
            return ops.mean(by_label)
        weights = ops.convert_to_tensor(np.asarray(self.label_weights), dtype=self.dtype)
        return ops.divide_no_nan(ops.sum(by_label * weights), ops.sum(weights))

    def _pr_interpolated(self, tp, fp, fn):
        ops = self.ops
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = ops.divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = ops.logical_and(ops.greater(p[:-1], 0.0), ops.greater(p[1:], 0.0))
        ratio = ops.where(both, ops.divide_no_nan(p[:-1], ops.maximum(p[1:], 0.0)), ops.ones_like(p[1:]))
        return ops.divide_no_nan(slope * (dtp + intercept * ops.log(ratio)), ops.maximum(tp[1:] + fn[1:], 0.0))

    def result(self):
        ops = self.ops
        if not self._built:
            return ops.convert_to_tensor(0.0, dtype=self.dtype)
        tp, fp, tn, fn = (getattr(self, n).value for n in COUNTS)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._by_label(self._pr_interpolated(tp, fp, fn))
        recall, precision, _, fpr = _rates(ops, tp, fp, tn, fn)
        if self.curve == "ROC":
            x, y = fpr, recall
        elif self.curve == "PR":
            x, y = recall, precision
        else:  # PR gain: 1 - s fn/tp and 1 - s fp/tp with s = (tp + fn) / (tn + fp), where tp > 0
            scale = ops.divide_no_nan(tp + fn, tn + fp)
            no_tp = ops.equal(tp, 0.0)
            x = ops.maximum(ops.where(no_tp, 0.0, 1.0 - scale * ops.divide_no_nan(fn, tp)), 0.0)
            y = ops.where(no_tp, 1.0, 1.0 - scale * ops.divide_no_nan(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[:-1], y[1:])
        else:
            heights = ops.maximum(y[:-1], y[1:])
        return self._by_label((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config

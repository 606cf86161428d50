"""What compile() builds on the first batch: per-output losses and metrics, matched to the model's outputs.

Outputs are named by the layers that produce them (functional models), by their keys (dict
outputs), else `output_0`, `output_1`, ... (or `output` alone). `loss` and `metrics` may be one
object (every output), a list with one entry per output, or a dict keyed by output name; `None`
leaves an output without a loss. With several outputs, metrics are named `<output>_<metric>` and,
when several outputs have a loss, each output's unweighted loss is tracked as `<output>_loss`.

    total loss = sum over outputs o of  loss_weight[o] * loss[o](y[o], y_pred[o], sample_weight[o])
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping

import numpy as np
import optree

from fitspec.compile_utils import get_loss, get_metric
from fitspec.errors import describe, invalid_argument
from fitspec.layers.layer import is_leaf, tracking_changed


def output_names(model, y_pred) -> list[str]:
    if isinstance(y_pred, Mapping):
        return list(y_pred)
    leaves = optree.tree_leaves(y_pred)
    graph = getattr(model, "_graph", None)
    if graph is not None:
        names = [t.node.layer.name if t.node is not None else t.name for t in optree.tree_leaves(graph.outputs)]
        if len(names) == len(leaves) and len(set(names)) == len(names):
            return names
    return ["output"] if len(leaves) == 1 else [f"output_{i}" for i in range(len(leaves))]


def per_output(value, names: list[str], argument: str, where="compile", allow_single=True) -> list:
    """A single value, a list with one entry per output, or a dict keyed by output names -> list by output."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise invalid_argument(where, argument, f"a dict keyed by output names {names}",
                                   f"<a dict with unknown keys {unknown}>")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise invalid_argument(where, argument, f"a list of {len(names)} entries, one per output {names}",
                                   f"<a list of {len(value)} entries>")
        return list(value)
    if not allow_single and len(names) > 1:
        raise invalid_argument(where, argument, f"a list or dict with one entry per output {names}", value)
    return [value] * len(names)


def match_targets(y, names: list[str], argument: str, where: str) -> list:
    """Targets (or sample weights) by output: a dict by name, a list by position, or one array for one output."""
    if y is None:
        return [None] * len(names)
    if isinstance(y, Mapping):
        missing = [n for n in names if n not in y]
        unknown = sorted(set(y) - set(names))
        if unknown:
            raise invalid_argument(where, argument, f"a dict keyed by output names {names}",
                                   f"<a dict with unknown keys {unknown}>")
        return [y.get(n) for n in names] if not missing or argument == "sample_weight" else _missing(
            where, argument, names, missing)
    if len(names) == 1:
        return [y[0] if isinstance(y, (list, tuple)) and len(y) == 1 else y]
    if isinstance(y, (list, tuple)):
        if len(y) != len(names):
            raise invalid_argument(where, argument, f"{len(names)} entries, one per output {names}",
                                   f"<{len(y)} entries>")
        return list(y)
    if argument == "sample_weight":
        return [y] * len(names)
    raise invalid_argument(where, argument, f"a list or dict with one entry per output {names}", describe(y))


def single_output_parts(y, y_pred, sample_weight):
    """([y], [y_pred], [sample_weight]) for one output given plain tensors (no list or dict to match), else None.

    For such a batch `match_targets` gives the same lists; this skips its structure walks on every step.
    """
    if is_leaf(y_pred) and not _is_structure(y) and not _is_structure(sample_weight):
        return [y], [y_pred], [sample_weight]
    return None


_structure_types: dict[type, bool] = {}


def _is_structure(value) -> bool:
    """isinstance(value, (Mapping, list, tuple)), looked up once per type (a Mapping check is slow)."""
    kind = type(value)
    found = _structure_types.get(kind)
    if found is None:
        found = _structure_types[kind] = issubclass(kind, (Mapping, list, tuple))
    return found


def _missing(where, argument, names, missing):
    raise invalid_argument(where, argument, f"an entry for every output {names}", f"<no entry for {missing}>")


class CompiledLoss:
    """Per-output losses and weights, resolved against the outputs on first use."""

    def __init__(self, loss, loss_weights, api):
        self._loss, self._loss_weights, self.api = loss, loss_weights, api
        if loss_weights is not None and not isinstance(loss_weights, (numbers.Number, list, tuple, Mapping)):
            raise invalid_argument("compile", "loss_weights", "a float, a list or a dict of floats", loss_weights)
        if not isinstance(loss, (list, tuple, Mapping)):
            get_loss(loss, api)  # an unknown name fails at compile time
        else:
            for entry in (loss.values() if isinstance(loss, Mapping) else loss):
                get_loss(entry, api)
        self.names: list[str] | None = None
        self.losses: list = []
        self.weights: list[float] = []
        self.trackers: list = []

    def build(self, model, y_pred) -> None:
        if self.names is not None:
            return
        names = output_names(model, y_pred)
        losses = per_output(self._loss, names, "loss")
        weights = per_output(1.0 if self._loss_weights is None else self._loss_weights, names, "loss_weights")
        self.names = names
        self.losses = [get_loss(entry, self.api) for entry in losses]
        self.weights = [1.0 if w is None else float(w) for w in weights]
        with_loss = [n for n, loss in zip(names, self.losses) if loss is not None]
        self.trackers = [self.api.metrics.Mean(name=f"{n}_loss") for n in with_loss] if len(with_loss) > 1 else []
        tracking_changed()  # the model's metrics now include the trackers

    @property
    def has_loss(self) -> bool:
        return self._loss is not None

    def __call__(self, model, y, y_pred, sample_weight):
        """(weighted total or None, [unweighted loss of each output that has one])."""
        self.build(model, y_pred)
        parts = single_output_parts(y, y_pred, sample_weight) if len(self.names) == 1 else None
        if parts is not None:
            targets, outputs, weights = parts
        else:
            outputs = optree.tree_leaves(y_pred) if not isinstance(y_pred, Mapping) else [y_pred[n] for n in self.names]
            targets = match_targets(y, self.names, "y", "compute_loss")
            weights = match_targets(sample_weight, self.names, "sample_weight", "compute_loss")
        total, values = None, []
        for loss, weight, y_o, p_o, w_o, name in zip(self.losses, self.weights, targets, outputs, weights,
                                                     self.names):
            if loss is None:
                continue
            if y_o is None:
                raise invalid_argument("compute_loss", "y", f"targets for output {name!r}, which has a loss", None)
            value = loss(y_o, p_o, w_o)
            values.append(value)
            term = value if weight == 1.0 else value * weight  # x * 1.0 is x: one op (and graph node) fewer
            total = term if total is None else total + term
        return total, values


@dataclasses.dataclass
class MetricEntry:
    metric: object
    output: int
    weighted: bool


class CompiledMetrics:
    """Metrics and weighted metrics, each attached to one output."""

    def __init__(self, metrics, weighted_metrics, api):
        from fitspec.compile_utils import check_metric

        self._specs, self.api = {"metrics": metrics, "weighted_metrics": weighted_metrics}, api
        for argument, spec in self._specs.items():
            if spec is not None and not isinstance(spec, (list, tuple, Mapping)):
                raise invalid_argument("compile", argument, "a list of metrics, or a list / dict per output", spec)
            for identifier in _flatten(spec):
                check_metric(identifier, argument=argument)
        self.entries: list[MetricEntry] | None = None

    @property
    def has_specs(self) -> bool:
        return any(self._specs.values())

    def build(self, model, y, y_pred) -> None:
        if self.entries is not None:
            return
        names = output_names(model, y_pred)
        outputs = optree.tree_leaves(y_pred) if not isinstance(y_pred, Mapping) else [y_pred[n] for n in names]
        targets = match_targets(y, names, "y", "fit") if y is not None else [None] * len(names)
        entries, taken = [], set()
        for argument, weighted in (("metrics", False), ("weighted_metrics", True)):
            spec = self._specs[argument]
            if spec is None:
                continue
            if len(names) == 1 and not isinstance(spec, Mapping):
                per = [list(spec)]
            else:
                per = per_output(spec, names, argument, allow_single=False)
            for index, (name, group) in enumerate(zip(names, per)):
                y_shape = _shape(targets[index]) if targets[index] is not None else _shape(outputs[index])
                for identifier in ([] if group is None else group if isinstance(group, (list, tuple)) else [group]):
                    metric = get_metric(identifier, self.api, y_shape, _shape(outputs[index]))
                    if len(names) > 1:
                        metric.name = f"{name}_{metric.name}"
                    if weighted and metric.name in taken:
                        metric.name = f"weighted_{metric.name}"
                    taken.add(metric.name)
                    entries.append(MetricEntry(metric, index, weighted))
        self.entries = entries
        tracking_changed()  # the model's metrics now include these

    @property
    def metrics(self) -> list:
        return [e.metric for e in self.entries or []]


@dataclasses.dataclass(frozen=True)
class MetricUpdate:
    """One metric of the default steps and its arguments' source: the total loss (`LOSS`), the loss of the
    `index`-th output that has a loss (`OUTPUT_LOSS`), or (y, y_pred) of output `index` (`OUTPUT`), with that
    output's sample_weight when `weighted`."""

    metric: object
    source: str
    index: int = 0
    weighted: bool = False


LOSS, OUTPUT_LOSS, OUTPUT = "loss", "output_loss", "output"


def metric_update_plan(loss_tracker, compiled_loss, compiled_metrics) -> list[MetricUpdate]:
    """What the default steps update: the loss tracker, each output's loss tracker, then the compiled metrics
    (those matched to the outputs so far). A metric object given twice (in `metrics` and `weighted_metrics`) is
    updated once, as its last entry says."""
    plan = {id(loss_tracker): MetricUpdate(loss_tracker, LOSS)}
    for i, tracker in enumerate(compiled_loss.trackers if compiled_loss is not None else []):
        plan[id(tracker)] = MetricUpdate(tracker, OUTPUT_LOSS, i)
    for e in compiled_metrics.entries or []:
        plan[id(e.metric)] = MetricUpdate(e.metric, OUTPUT, e.output, e.weighted)
    return list(plan.values())


def _flatten(spec) -> list:
    """Every metric identifier of a (nested) list / dict spec; None entries are outputs without metrics."""
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        return [m for v in spec.values() for m in _flatten(v)]
    if isinstance(spec, (list, tuple)):
        return [m for v in spec for m in _flatten(v)]
    return [spec]


def _shape(x) -> tuple:
    shape = getattr(x, "shape", None)
    return tuple(np.shape(x) if shape is None else shape)

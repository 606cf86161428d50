"""The data of fit / evaluate / predict checked against the model, once per call and on the host.

Array data are checked whole (their values were checked when they became an ArrayDataset); a
stream (PyDataset, generator, tf.data, DataLoader) by its first batch. Inputs: the structure and
every shape against the model's Inputs, as Keras's InputSpec. Targets: each output's shape and
values against what its loss and metrics take (their `targets` rule). docs/SPEC.md, section 9.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Mapping

import numpy as np
import optree

from fitspec.compiled import match_targets, output_names
from fitspec.data import ArrayDataset, to_arrays, unpack_x_y_sample_weight
from fitspec.data_adapters import ArrayAdapter
from fitspec.errors import invalid_argument


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _fits(shape, spec) -> bool:
    """Whether an array shape fits a spec shape (None: any size), axis by axis."""
    return len(shape) == len(spec) and all(s is None or s == d for d, s in zip(shape, spec))


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray)


class DataCheck:
    """`inputs()` before the model is built on the data, `targets()` after (losses and metrics are matched then)."""

    def __init__(self, model, adapter, where: str):
        """`adapter`: a data adapter (fitspec.data_adapters) or an ArrayDataset (the *_on_batch methods)."""
        self.model, self.where = model, where
        inner = adapter
        while hasattr(inner, "adapter"):  # ClassWeighted
            inner = inner.adapter
        dataset = inner.dataset if isinstance(inner, ArrayAdapter) else inner
        if isinstance(dataset, ArrayDataset):
            self.x, self.y, self.sample_weight = dataset.x, dataset.y, dataset.sample_weight
        else:
            x, y, sample_weight = unpack_x_y_sample_weight(adapter.peek())
            self.x = to_arrays(x, "x", where)  # the first batch's values, as an array's are checked
            self.y = None if y is None else to_arrays(y, "y", where)
            self.sample_weight = None if sample_weight is None else to_arrays(sample_weight, "sample_weight", where)

    # -- inputs ---------------------------------------------------------------------------------
    def inputs(self) -> None:
        graph = getattr(self.model, "_graph", None)
        if graph is None or self.x is None:
            return  # a subclassed model (or a Sequential not built yet) has no Inputs to check against
        x, leaves = self.x, graph.input_leaves
        if type(x) is np.ndarray and len(leaves) == 1 and type(graph.inputs) is not dict:  # the common case, fast
            matched = [("x", x, leaves[0])]
        else:
            matched = self._matched_inputs(graph)
        for name, array, spec in matched:
            if _is_array(array) and not _fits(array.shape[1:], spec.shape[1:]):
                raise invalid_argument(self.where, name, f"an array of shape {_shape_text(spec.shape)} for input "
                                       f"{spec.name!r}", f"<an array of shape {array.shape}>")

    def _matched_inputs(self, graph) -> list:
        """[(name in errors, array, Input)], the way the model matches its inputs, refusing extra dict keys."""
        x, leaves = self.x, graph.input_leaves
        if isinstance(graph.inputs, Mapping) or isinstance(x, Mapping):
            specs = dict(graph.inputs) if isinstance(graph.inputs, Mapping) else {t.name: t for t in leaves}
            if not isinstance(x, Mapping) or set(x) != set(specs):
                received = (f"<a dict with keys {sorted(x)}>" if isinstance(x, Mapping)
                            else f"<a {type(x).__name__}>")
                raise invalid_argument(self.where, "x", f"a dict with exactly the keys {sorted(specs)}", received)
            return [(f"x[{key!r}]", x[key], spec) for key, spec in specs.items()]
        if len(leaves) == 1:
            return [("x", x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x, leaves[0])]
        if not isinstance(x, (list, tuple)) or len(x) != len(leaves):
            raise invalid_argument(self.where, "x", f"a list of {len(leaves)} arrays, one per input "
                                   f"{[t.name for t in leaves]}", x if _is_array(x) else f"<{type(x).__name__}>")
        return [(f"x[{i}]", array, spec) for i, (array, spec) in enumerate(zip(x, leaves))]

    # -- targets --------------------------------------------------------------------------------
    def targets(self) -> None:
        model = self.model
        if self.y is None or not getattr(model, "compiled", False):
            return
        plan = _output_plan(model)
        if not plan:
            return
        if len(plan) == 1 and _is_array(self.y) and (self.sample_weight is None or _is_array(self.sample_weight)):
            targets, weights = [self.y], [self.sample_weight]  # one output, plain arrays: nothing to match
        else:
            names = [output.name for output in plan]
            targets = match_targets(self.y, names, "y", self.where)
            weights = match_targets(self.sample_weight, names, "sample_weight", self.where)
        for output, y, weight in zip(plan, targets, weights):
            label = "y" if len(plan) == 1 else f"y[{output.name!r}]"
            if _is_array(y):
                for rule, owner in output.rules:
                    self._check_target(y, rule, owner, output.name, output.shape, label)
            if _is_array(weight) and output.shape is not None:
                self._check_weight(weight, output.name, output.shape)

    def _check_target(self, y, rule, owner, name, shape, label) -> None:
        where, under = self.where, f"for output {name!r} ({owner})"
        if shape is not None:
            allowed = _target_shapes(rule, shape[1:])
            if not any(_fits(y.shape[1:], s) for s in allowed):
                expected = " or ".join(_shape_text((None, *s)) for s in allowed)
                raise invalid_argument(where, label, f"an array of shape {expected} {under}",
                                       f"<an array of shape {y.shape}>")
        if not y.size:
            return
        if rule == "class_ids":
            classes = shape[-1] if shape is not None else None
            integral = y.dtype.kind != "f" or np.array_equal(y, np.floor(y))
            if y.min() < 0 or (classes is not None and y.max() >= classes) or not integral:
                bad = (y < 0) | (y >= (np.inf if classes is None else classes))
                if y.dtype.kind == "f":
                    bad |= y != np.floor(y)
                bound = f"[0, {classes})" if classes is not None else "[0, classes)"
                _refuse_first(bad, y, where, label, f"integer class ids in {bound} {under}")
        elif rule == "probabilities" and (y.min() < 0 or y.max() > 1):
            _refuse_first((y < 0) | (y > 1), y, where, label, f"labels in [0, 1] {under}")

    def _check_weight(self, weight, name, shape) -> None:
        """A weight per sample, or per entry of the loss values (the output's shape without its last axis)."""
        per_value = shape[1:-1]
        allowed = [(), (1,), per_value, (*per_value, 1)]
        if not any(_fits(weight.shape[1:], s) for s in allowed):
            expected = " or ".join(dict.fromkeys(_shape_text((None, *s)) for s in allowed))
            raise invalid_argument(self.where, "sample_weight", f"an array of shape {expected} for output {name!r}",
                                   f"<an array of shape {weight.shape}>")


def _target_shapes(rule: str, prediction: tuple) -> list[tuple]:
    """The per-sample target shapes a rule accepts against a prediction's per-sample shape."""
    if rule == "class_ids":
        return [prediction[:-1], (*prediction[:-1], 1)]
    shapes = [prediction, (*prediction, 1)]  # Keras squeezes or expands a trailing axis of 1
    if prediction and prediction[-1] in (1, None):
        shapes.append(prediction[:-1])
    return shapes


def _refuse_first(bad, y, where, label, expected) -> None:
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    raise invalid_argument(where, label, expected, f"<{y[index]} at index {index}>")



@dataclasses.dataclass(frozen=True)
class _Output:
    """One output as the target checks see it: its name, its shape (None: unknown), and the rules of its losses and
    metrics, one (rule, "loss 'name'" or "metric 'name'") per rule."""

    name: str
    shape: tuple | None
    rules: tuple


_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _output_plan(model) -> list[_Output]:
    """The model's outputs with their rules, kept until compile() or the matching of its losses and metrics changes:
    train_on_batch checks every call, which should cost next to nothing."""
    loss, metrics = model._compiled_loss, model._compiled_metrics
    key = (loss, getattr(loss, "names", None), metrics, metrics.entries, getattr(model, "_graph", None))
    cached = _plans.get(model)
    if cached is not None and all(a is b for a, b in zip(cached[0], key)):
        return cached[1]
    plan = _make_output_plan(model, loss, metrics)
    _plans[model] = (key, plan)
    return plan


def _make_output_plan(model, loss, metrics) -> list[_Output]:
    graph = getattr(model, "_graph", None)
    if graph is not None:
        names = output_names(model, graph.outputs)
        tensors = ([graph.outputs[n] for n in names] if isinstance(graph.outputs, Mapping)
                   else optree.tree_leaves(graph.outputs))
        shapes = [tuple(t.shape) for t in tensors]
    else:  # a subclassed model: names as its losses were matched, shapes unknown
        names = loss.names if loss is not None and loss.names is not None else (["output"] if metrics.entries else [])
        shapes = [None] * len(names)
    plan = []
    for index, (name, shape) in enumerate(zip(names, shapes)):
        owners = []
        if loss is not None and loss.names is not None and len(loss.losses) == len(names):
            owners.append(("loss", loss.losses[index]))
        owners += [("metric", e.metric) for e in metrics.entries or [] if e.output == index]
        rules = {}
        for kind, owner in owners:
            rule = getattr(type(owner), "targets", None) if owner is not None else None
            if rule is not None and rule not in rules:
                rules[rule] = f"{kind} {owner.name!r}"
        plan.append(_Output(name, shape, tuple(rules.items())))
    return plan

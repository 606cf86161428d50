"""Runs one golden case on one backend and records what the goldens hold."""

from __future__ import annotations

import dataclasses

import numpy as np

from conformance.cases import Case
from conformance.models import BUILDERS


def resolve(fs, spec, namespace):
    """A name stays a name; ("ClassName", {kwargs}) becomes an instance from `namespace`."""
    if isinstance(spec, tuple):
        name, kwargs = spec
        if isinstance(kwargs.get("learning_rate"), tuple):
            kwargs = {**kwargs, "learning_rate": resolve(fs, kwargs["learning_rate"], fs.optimizers.schedules)}
        if isinstance(kwargs.get("inner_optimizer"), tuple):  # LossScaleOptimizer
            kwargs = {**kwargs, "inner_optimizer": resolve(fs, kwargs["inner_optimizer"], fs.optimizers)}
        if isinstance(kwargs.get("optimizer_map"), tuple):  # MultiOptimizer
            kwargs = {**kwargs, "optimizer_map": resolve(fs, kwargs["optimizer_map"], fs.optimizers)}
        if isinstance(kwargs.get("default_optimizer"), tuple):  # OptimizerMap
            kwargs = {**kwargs, "default_optimizer": resolve(fs, kwargs["default_optimizer"], fs.optimizers),
                      "optimizer_map": {key: resolve(fs, spec, fs.optimizers)
                                        for key, spec in (kwargs.get("optimizer_map") or {}).items()}}
        return getattr(namespace, name)(**kwargs)
    return spec


def _resolve_each(fs, spec, namespace):
    """Resolve a single spec, a list of them, or a dict of either (per-output arguments)."""
    if isinstance(spec, dict):
        return {k: _resolve_each(fs, v, namespace) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_resolve_each(fs, v, namespace) for v in spec]
    return resolve(fs, spec, namespace)


def compile_arguments(fs, spec: dict) -> dict:
    out = dict(spec)
    if "optimizer" in out:
        out["optimizer"] = resolve(fs, out["optimizer"], fs.optimizers)
    if "loss" in out:
        out["loss"] = _resolve_each(fs, out["loss"], fs.losses)
    for key in ("metrics", "weighted_metrics"):
        if key in out:
            out[key] = _resolve_each(fs, out[key], fs.metrics)
    return out


def head(structure, n: int):
    """The first n samples of every array of a (nested) input."""
    if isinstance(structure, dict):
        return {k: head(v, n) for k, v in structure.items()}
    return structure[:n]


def run_case(fs, case: Case, fit_overrides: dict | None = None, initial_weights: list | None = None) -> dict:
    """{initial_weights, step_losses, history, final_weights, evaluate, predict} as numpy / floats.

    `fs` is any module with the Keras namespace (a fitspec backend, or Keras itself for the
    cross-check); `initial_weights` replaces the seeded ones.
    """
    fs.utils.set_random_seed(case.seed)
    data = case.data.make()
    model = BUILDERS[case.model](fs, case.model_class)
    model.compile(**compile_arguments(fs, case.compile))
    if not model.built:
        model(head(data["x"], 1))
    if initial_weights is not None:
        model.set_weights(initial_weights)
    result = {"initial_weights": model.get_weights()}

    step_losses: list[float] = []

    class RecordLoss(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step_losses.append(logs["loss"])

    if case.fit is not None:
        fit_kwargs = {**case.fit, **(fit_overrides or {})}
        if fit_kwargs.pop("validation_data", False):
            val = dataclasses.replace(case.data, samples=max(10, case.data.samples // 4), seed=case.data.seed + 100)
            val = val.make()
            fit_kwargs["validation_data"] = (val["x"], val["y"])  # cases with validation_data have targets
        history = model.fit(data["x"], data.get("y"), sample_weight=data.get("sample_weight"), verbose=0,
                            callbacks=[RecordLoss()], **fit_kwargs)
        result["history"] = history.history
        result["step_losses"] = step_losses
    result["final_weights"] = model.get_weights()
    if case.evaluate:
        result["evaluate"] = model.evaluate(data["x"], data.get("y"), verbose=0, return_dict=True)
    if case.predict:
        result["predict"] = model.predict(head(data["x"], 16), verbose=0)
    return result


def to_json_ready(result: dict) -> dict:
    """float64 nested lists; dict keys sorted by json.dump."""

    def convert(value):
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        array = np.asarray(value, dtype=np.float64)
        return array.tolist()

    return convert(result)

"""`model.save`, `fs.models.load_model`, `model.save_weights`, `model.load_weights` (docs/SPEC.md, "Saving").

Loading checks every count and shape against the file before it assigns anything: a file that does
not fit leaves the model untouched.
"""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.saving import file_format, seed_states
from fitspec.saving.serialization import build_model, build_object, model_config, object_config


def _entries(variables) -> list:
    return [[v.path, list(v.shape)] for v in variables]


def compile_config(model) -> dict:
    return {
        "optimizer": object_config(model.optimizer),
        "loss": object_config(model.loss),
        "metrics": object_config(model._metric_identifiers),
        "weighted_metrics": object_config(model._weighted_metric_identifiers),
        "loss_weights": object_config(model._loss_weights),
        "steps_per_execution": model.steps_per_execution,
        "run_eagerly": model.run_eagerly,
    }


def save_model(model, filepath) -> None:
    weights = model.weights
    tensors = file_format.numbered("model", [v.numpy() for v in weights])
    metadata = {"model": model_config(model), "weights": _entries(weights)}
    if model.compiled:
        metadata["compile"] = compile_config(model)
        if model.optimizer.built:
            tensors.update(file_format.numbered("optimizer", [v.numpy() for v in model.optimizer.variables]))
            metadata["optimizer"] = _entries(model.optimizer.variables)
    seed_states.save(model, tensors, metadata)
    file_format.write(filepath, "model", tensors, metadata)


def save_weights(model, filepath) -> None:
    weights = model.weights
    tensors, metadata = file_format.numbered("model", [v.numpy() for v in weights]), {"weights": _entries(weights)}
    seed_states.save(model, tensors, metadata)
    file_format.write(filepath, "weights", tensors, metadata)


def _checked_values(variables, entries, contents, prefix, where, owner) -> list[np.ndarray]:
    """The file's arrays for `variables`, after checking count and every shape."""
    if len(entries) != len(variables):
        raise ValueError(
            f"{where}: the file holds {len(entries)} {prefix} variables but {owner} has {len(variables)}: "
            f"the architectures differ (file: {[e[0] for e in entries][:6]}..., "
            f"model: {[v.path for v in variables][:6]}...)."
        )
    values = contents.group(prefix, len(entries))
    for variable, (path, _), value in zip(variables, entries, values):
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"{where}: weight {variable.path!r} of {owner} has shape {tuple(variable.shape)}, but the file's "
                f"{path!r} has shape {tuple(value.shape)}."
            )
    return values


def _assign(variables, values, ops) -> None:
    for variable, value in zip(variables, values):
        variable.assign(ops.convert_to_tensor(np.asarray(value, dtype=variable.dtype)))


def load_weights(model, filepath) -> None:
    contents = file_format.Contents(filepath, "load_weights")
    values = _checked_values(model.weights, contents.metadata["weights"], contents, "model", "load_weights",
                             f"model {model.name!r}")
    seeds = seed_states.checked(model, contents, "load_weights")
    _assign(model.weights, values, model.ops)
    seed_states.assign(seeds, model.ops)


def load_model(api, filepath, custom_objects=None, compile=True):  # noqa: A002 (Keras's name)
    contents = file_format.Contents(filepath, "load_model")
    if contents.kind != "model":
        raise invalid_argument("load_model", "filepath", "a file written by model.save()",
                               "<a weights-only file: build the model and call model.load_weights()>")
    model = build_model(contents.metadata["model"], api, custom_objects)
    values = _checked_values(model.weights, contents.metadata["weights"], contents, "model", "load_model",
                             f"model {model.name!r}")
    seeds = seed_states.checked(model, contents, "load_model")
    _assign(model.weights, values, model.ops)
    seed_states.assign(seeds, model.ops)
    config = contents.metadata.get("compile")
    if compile and config is not None:
        wrap_loss = lambda fn, name: api.losses.LossFunctionWrapper(fn, name=name)
        wrap_metric = lambda fn, name: api.metrics.MeanMetricWrapper(fn, name=name)
        model.compile(
            optimizer=build_object(config["optimizer"], api.optimizers, custom_objects, "load_model"),
            loss=build_object(config["loss"], api.losses, custom_objects, "load_model", wrap_loss),
            metrics=build_object(config["metrics"], api.metrics, custom_objects, "load_model", wrap_metric) or None,
            weighted_metrics=build_object(config["weighted_metrics"], api.metrics, custom_objects, "load_model",
                                          wrap_metric) or None,
            loss_weights=build_object(config["loss_weights"], api.losses, custom_objects, "load_model"),
            steps_per_execution=config["steps_per_execution"],
            run_eagerly=config["run_eagerly"],
        )
        entries = contents.metadata.get("optimizer")
        if entries is not None:
            model.optimizer.build(model.trainable_variables)
            values = _checked_values(model.optimizer.variables, entries, contents, "optimizer", "load_model",
                                     f"the optimizer of {model.name!r}")
            _assign(model.optimizer.variables, values, model.ops)
    return model


def save_training_state(model, filepath, fit_state: dict) -> None:
    """Weights, optimizer, metric variables and where fit() stands (BackupAndRestore)."""
    groups = {"model": model.weights, "optimizer": model.optimizer.variables, "metrics": model.metrics_variables}
    tensors, metadata = {}, {"fit_state": fit_state}
    for prefix, variables in groups.items():
        tensors.update(file_format.numbered(prefix, [v.numpy() for v in variables]))
        metadata[prefix] = _entries(variables)
    seed_states.save(model, tensors, metadata, process_wide=True)
    file_format.write(filepath, "backup", tensors, metadata)


def load_training_state(model, filepath) -> dict:
    """Restore what `save_training_state` wrote (checking everything first); return the fit state."""
    contents = file_format.Contents(filepath, "BackupAndRestore")
    if contents.kind != "backup":
        raise invalid_argument("BackupAndRestore", "backup_dir", "a folder holding a fitspec backup",
                               f"<a {contents.kind!r} file>")
    groups = {"model": model.weights, "optimizer": model.optimizer.variables, "metrics": model.metrics_variables}
    checked = {prefix: _checked_values(variables, contents.metadata[prefix], contents, prefix, "BackupAndRestore",
                                       f"model {model.name!r}")
               for prefix, variables in groups.items()}
    seeds = seed_states.checked(model, contents, "BackupAndRestore", process_wide=True)
    for prefix, variables in groups.items():
        _assign(variables, checked[prefix], model.ops)
    seed_states.assign(seeds, model.ops)
    return contents.metadata["fit_state"]

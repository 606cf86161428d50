"""`model.save`, `fs.models.load_model`, `model.save_weights`, `model.load_weights` (docs/SPEC.md, "Saving").

Loading checks every count, shape and dtype against the file before it assigns anything, and builds
a model from a config only as large as the file's tensors: a file that does not fit leaves the
model untouched and allocates nothing large.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np

from fitspec import replicas, weight_budget
from fitspec.errors import invalid_argument
from fitspec.saving import file_format, seed_states
from fitspec.saving.serialization import build_model, build_object, check_input_sizes, model_config, object_config


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
    if not replicas.writes_files(model.backend):  # rank 0 of a data-parallel run writes (SPEC 13.5)
        return
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
    if not replicas.writes_files(model.backend):
        return
    weights = model.weights
    tensors, metadata = file_format.numbered("model", [v.numpy() for v in weights]), {"weights": _entries(weights)}
    seed_states.save(model, tensors, metadata)
    file_format.write(filepath, "weights", tensors, metadata)


def _dtype_family(dtype: str) -> str:
    return "float" if dtype.startswith(("float", "bfloat")) else "int" if dtype.startswith(("int", "uint")) else dtype


def _cast(variable, array: np.ndarray, contents, owner) -> np.ndarray:
    """`array` in the variable's dtype, by the cast rule: a floating tensor loads into a floating variable
    (rounded to nearest; never to inf), an integer one into an integer variable when every value fits, a bool
    into a bool; any other pairing is refused."""
    stored, target = array.dtype.name, str(variable.dtype)
    if _dtype_family(stored) != _dtype_family(target):
        contents.refuse(f"a {target} tensor (or one of its family) for weight {variable.path!r} of {owner}",
                        f"which stores it as {stored}")
    if _dtype_family(target) == "int" and array.size:
        info = np.iinfo(target)
        if array.min() < info.min or array.max() > info.max:
            contents.refuse(f"values that fit {target} for weight {variable.path!r} of {owner}",
                            f"whose values reach [{array.min()}, {array.max()}]")
    if stored == target or target == "bfloat16":  # numpy has no bfloat16: the backend casts from the stored floats
        return array
    with np.errstate(over="ignore"):  # an overflow is refused just below
        cast = array.astype(target)
    if _dtype_family(target) == "float" and not np.array_equal(np.isfinite(cast), np.isfinite(array)):
        contents.refuse(f"values within the range of {target} for weight {variable.path!r} of {owner}",
                        f"whose {stored} values overflow {target}")
    return cast


def _in_model_order(group: list, variables) -> list:
    """The file's (path, array) pairs in the order of `variables` when both name the same unique paths in another
    order: files written before Functional models listed their layers in Keras's order (docs/SPEC.md 2.12) hold a
    branched model's weights in the old order, and load by path. Otherwise the file's order, checked by the caller."""
    paths = [v.path for v in variables]
    stored = {path: i for i, (path, _) in enumerate(group)}
    if len(stored) != len(group) or len(set(paths)) != len(paths) or set(stored) != set(paths):
        return group
    return [group[stored[path]] for path in paths]


def _checked_values(variables, contents, prefix, where, owner, required=True) -> list[np.ndarray]:
    """The file's arrays for `variables` in their dtypes, after checking count, every shape and every dtype."""
    group = contents.group(prefix, required)
    if group is None:
        return None
    group = _in_model_order(group, variables)
    if len(group) != len(variables):
        raise ValueError(
            f"{where}: the file holds {len(group)} {prefix} variables but {owner} has {len(variables)}: "
            f"the architectures differ (file: {[path for path, _ in group][:6]}..., "
            f"model: {[v.path for v in variables][:6]}...)."
        )
    for variable, (path, value) in zip(variables, group):
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"{where}: weight {variable.path!r} of {owner} has shape {tuple(variable.shape)}, but the file's "
                f"{path!r} has shape {tuple(value.shape)}."
            )
    return [_cast(variable, value, contents, owner) for variable, (_, value) in zip(variables, group)]


def _assign(variables, values, ops) -> None:
    for variable, value in zip(variables, values):
        variable.assign(ops.convert_to_tensor(value, dtype=variable.dtype))


@contextlib.contextmanager
def _rebuilding(contents, part: str):
    """Errors of a malformed `part` of the file's metadata (a missing key, a wrong type) as the library's error."""
    try:
        yield
    except (KeyError, TypeError, IndexError, AttributeError, RecursionError, OverflowError) as error:
        contents.refuse(f"a {part} that rebuilds", f"whose {part} does not ({type(error).__name__}: {error})")


def load_weights(model, filepath, skip_mismatch=False) -> None:
    contents = file_format.Contents(filepath, "load_weights")
    if contents.kind == "backup":
        contents.refuse("a file written by model.save_weights() or model.save()", "a BackupAndRestore backup")
    if skip_mismatch:
        variables, values = _matching_layers(model, contents)
    else:
        variables = model.weights
        values = _checked_values(variables, contents, "model", "load_weights", f"model {model.name!r}")
    seeds = seed_states.checked(model, contents, "load_weights")
    _assign(variables, values, model.ops)
    seed_states.assign(seeds, model.ops)


def _by_layer(entries) -> list[list]:
    """`entries` ((path, ...) pairs, in order) grouped by the layer part of the path (before the last '/')."""
    groups, last = [], None
    for entry in entries:
        owner = entry[0].rpartition("/")[0]
        if owner != last or not groups:
            groups.append([])
            last = owner
        groups[-1].append(entry)
    return groups


def _matching_layers(model, contents):
    """load_weights(skip_mismatch=True): the file's layers and the model's, paired in order; a pair whose weights
    differ in count or shape is skipped with a warning naming the layer. Different numbers of layers are an error."""
    import warnings

    group = contents.group("model")
    stored = _by_layer(group)
    own = _by_layer([(v.path, v) for v in model.weights])
    if len(stored) != len(own):
        raise ValueError(f"load_weights: the file holds the weights of {len(stored)} layers but model {model.name!r} "
                         f"has {len(own)} layers with weights: skip_mismatch skips layers whose weights differ, "
                         "not missing layers.")
    variables, values = [], []
    for file_layer, model_layer in zip(stored, own):
        shapes = [tuple(a.shape) for _, a in file_layer]
        wanted = [tuple(v.shape) for _, v in model_layer]
        layer_name = model_layer[0][0].rpartition("/")[0]
        if shapes != wanted:
            warnings.warn(f"load_weights(skip_mismatch=True): skipped the weights of layer {layer_name!r}: the "
                          f"model's shapes are {wanted}, the file's {shapes}.", stacklevel=4)
            continue
        for (_, variable), (_, array) in zip(model_layer, file_layer):
            variables.append(variable)
            values.append(_cast(variable, array, contents, f"model {model.name!r}"))
    return variables, values


def load_model(api, filepath, custom_objects=None, compile=True):  # noqa: A002 (Keras's name)
    contents = file_format.Contents(filepath, "load_model")
    if contents.kind != "model":
        raise invalid_argument("load_model", "filepath", "a file written by model.save()",
                               f"<a {contents.kind!r} file: build the model and call model.load_weights()>")
    architecture = contents.json("model")
    contents.group("model")  # the tensors match their entries before the config builds anything
    with _rebuilding(contents, "model config"), weight_budget.bounded(contents.values("model"), contents):
        check_input_sizes(architecture, contents)
        model = build_model(architecture, api, custom_objects)
    values = _checked_values(model.weights, contents, "model", "load_model", f"model {model.name!r}")
    seeds = seed_states.checked(model, contents, "load_model")
    config = contents.json("compile", required=False)
    optimizer_values = None
    if compile and config is not None:
        with _rebuilding(contents, "compile config"):
            compile_model(model, config, api, custom_objects)
        if contents.group("optimizer", required=False) is not None:
            model.optimizer.build(model.trainable_variables)
            optimizer_values = _checked_values(model.optimizer.variables, contents, "optimizer", "load_model",
                                               f"the optimizer of {model.name!r}")
    _assign(model.weights, values, model.ops)
    seed_states.assign(seeds, model.ops)
    if optimizer_values is not None:
        _assign(model.optimizer.variables, optimizer_values, model.ops)
    return model


def compile_model(model, config: dict, api, custom_objects) -> None:
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


@dataclasses.dataclass(frozen=True)
class TrainingState:
    """What a backup restores besides the variables: fit()'s snapshot and whether a backup made its folder."""

    fit_state: dict
    created_folder: bool


def save_training_state(model, filepath, fit_state: dict, created_folder: bool = False) -> None:
    """Weights, optimizer, metric variables and where fit() stands (BackupAndRestore)."""
    groups = {"model": model.weights, "optimizer": model.optimizer.variables, "metrics": model.metrics_variables}
    # read on every rank: a metric variable's read sums the replicas' copies (a collective on TensorFlow, SPEC 13.7)
    values = {prefix: [v.numpy() for v in variables] for prefix, variables in groups.items()}
    if not replicas.writes_files(model.backend):
        return
    tensors, metadata = {}, {"fit_state": fit_state, "created_folder": bool(created_folder)}
    for prefix, variables in groups.items():
        tensors.update(file_format.numbered(prefix, values[prefix]))
        metadata[prefix] = _entries(variables)
    seed_states.save(model, tensors, metadata, process_wide=True)
    file_format.write(filepath, "backup", tensors, metadata)


def load_training_state(model, filepath, validate_fit_state) -> TrainingState:
    """Restore what `save_training_state` wrote. Everything is checked first (digests, counts, shapes, dtypes,
    and the fit state by `validate_fit_state(snapshot, where, filepath)`): a backup that does not fit leaves the model
    untouched."""
    contents = file_format.Contents(filepath, "BackupAndRestore", "backup_dir")
    if contents.kind != "backup":
        contents.refuse("a folder holding a fitspec backup", f"a {contents.kind!r} file")
    groups = {"model": model.weights, "optimizer": model.optimizer.variables, "metrics": model.metrics_variables}
    checked = {prefix: _checked_values(variables, contents, prefix, "BackupAndRestore", f"model {model.name!r}")
               for prefix, variables in groups.items()}
    fit_state = validate_fit_state(contents.json("fit_state", object), "BackupAndRestore", contents.path)
    created_folder = contents.json("created_folder", bool, required=False)
    seeds = seed_states.checked(model, contents, "BackupAndRestore", process_wide=True)
    for prefix, variables in groups.items():
        _assign(variables, checked[prefix], model.ops)
    seed_states.assign(seeds, model.ops)
    return TrainingState(fit_state, created_folder is True)

"""Seed states in fitspec files: the SeedGenerators' states saved beside the weights and restored with them.

They are not weights (`get_weights` leaves them out, as Keras does), so they have their own group,
`seed_states.0000`, ..., with `metadata["seed_states"]` = [[path, shape], ...]. A backup also holds
the backend's process-wide seed state. A file without the group (written before seed states were
saved) restores nothing and leaves the model's states as they are.
"""

from __future__ import annotations

import numpy as np

from fitspec import random
from fitspec.saving import file_format

PREFIX = "seed_states"


def _variables(model, process_wide: bool) -> list:
    return random.seed_states(model) + (random.process_seed_states(model.backend) if process_wide else [])


def save(model, tensors: dict, metadata: dict, process_wide: bool = False) -> None:
    """Add the seed states of `model` (and, with `process_wide`, its backend's process-wide state) to a file."""
    variables = _variables(model, process_wide)
    tensors.update(file_format.numbered(PREFIX, [v.numpy() for v in variables]))
    metadata[PREFIX] = [[v.path, list(v.shape)] for v in variables]


def checked(model, contents, where: str, process_wide: bool = False) -> list:
    """[(variable, value)] from the file, after checking count and shapes; [] for a file without seed states."""
    entries = contents.metadata.get(PREFIX)
    if entries is None:
        return []
    variables = _variables(model, process_wide)
    if len(entries) != len(variables):
        raise ValueError(
            f"{where}: the file holds {len(entries)} seed states but model {model.name!r} has {len(variables)}: "
            f"the architectures differ (file: {[e[0] for e in entries][:6]}, "
            f"model: {[v.path for v in variables][:6]})."
        )
    values = contents.group(PREFIX, len(entries))
    for variable, (path, _), value in zip(variables, entries, values):
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"{where}: seed state {variable.path!r} has shape {tuple(variable.shape)}, but the "
                             f"file's {path!r} has shape {tuple(value.shape)}.")
    return list(zip(variables, values))


def assign(pairs, ops) -> None:
    for variable, value in pairs:
        variable.assign(ops.convert_to_tensor(np.asarray(value, dtype=variable.dtype)))

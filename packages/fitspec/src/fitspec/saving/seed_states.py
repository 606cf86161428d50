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
    """[(variable, value)] from the file, after checking count, shapes and dtypes; [] for a file without seed
    states."""
    from fitspec.saving.model_io import _checked_values  # model_io calls this module: imported when needed

    variables = _variables(model, process_wide)
    values = _checked_values(variables, contents, PREFIX, where, f"model {model.name!r}", required=False)
    return [] if values is None else list(zip(variables, values))


def assign(pairs, ops) -> None:
    for variable, value in pairs:
        variable.assign(ops.convert_to_tensor(np.asarray(value, dtype=variable.dtype)))

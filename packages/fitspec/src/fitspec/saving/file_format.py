"""The fitspec file: one safetensors file, tensors plus JSON metadata. Never pickle, never code.

    metadata["format"]          "fitspec"
    metadata["format_version"]  FORMAT_VERSION (a reader refuses newer versions)
    metadata["kind"]            "model" (architecture + weights + optimizer + compile) | "weights"
    metadata["model"]           JSON: the architecture          (kind "model")
    metadata["compile"]         JSON: the compile arguments     (kind "model", compiled models)
    metadata["weights"]         JSON: [[path, shape], ...] of tensors `model.0000`, `model.0001`, ...
    metadata["optimizer"]       JSON: [[path, shape], ...] of tensors `optimizer.0000`, ...
    metadata["seed_states"]     JSON: [[path, shape], ...] of tensors `seed_states.0000`, ... (saving.seed_states)

Every write goes to a temporary file in the same folder, then is renamed over the target.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save as safetensors_bytes

FORMAT = "fitspec"
FORMAT_VERSION = 1


def write_atomically(path, data: bytes) -> None:
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write(path, kind: str, tensors: dict[str, np.ndarray], metadata: dict[str, object]) -> None:
    """`metadata` values that are not strings are stored as JSON."""
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "kind": kind}
    meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()})
    arrays = {k: np.array(v, order="C") for k, v in tensors.items()}  # ascontiguousarray would make 0-d 1-d
    write_atomically(path, safetensors_bytes(arrays, metadata=meta))


class Contents:
    """A read fitspec file: `.kind`, `.metadata` (JSON decoded where it was JSON), `.tensor(name)`."""

    def __init__(self, path, where: str):
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{where}: argument `filepath` expected an existing file; received {path!r}.")
        try:
            with safe_open(path, "np") as f:
                raw = f.metadata() or {}
                self._tensors = {name: f.get_tensor(name) for name in f.keys()}
        except (SafetensorError, OSError, ValueError) as error:
            raise ValueError(
                f"{where}: argument `filepath` expected a complete fitspec file; received {path!r}, which is "
                f"truncated or not a safetensors file ({error})."
            ) from None
        if raw.get("format") != FORMAT:
            raise ValueError(f"{where}: argument `filepath` expected a fitspec file; received {path!r}, a "
                             f"safetensors file without fitspec metadata.")
        version = int(raw.get("format_version", "0"))
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{where}: {path!r} has format version {version}, newer than this fitspec reads "
                f"({FORMAT_VERSION}); upgrade fitspec to load it."
            )
        self.kind = raw["kind"]
        self.metadata = {k: _json_or_text(v) for k, v in raw.items()}

    def tensor(self, name: str) -> np.ndarray:
        return self._tensors[name]

    def group(self, prefix: str, count: int) -> list[np.ndarray]:
        return [self._tensors[f"{prefix}.{i:04d}"] for i in range(count)]


def _json_or_text(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def numbered(prefix: str, arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{prefix}.{i:04d}": np.asarray(a) for i, a in enumerate(arrays)}

"""The fitspec file: one safetensors file, tensors plus JSON metadata. Never pickle, never code.

    metadata["format"]           "fitspec"
    metadata["format_version"]   FORMAT_VERSION (required; a reader refuses newer versions)
    metadata["kind"]             "model" | "weights" | "backup" (BackupAndRestore)
    metadata["model"]            JSON: the architecture          (kind "model")
    metadata["compile"]          JSON: the compile arguments     (kind "model", compiled models)
    metadata["weights"]          JSON: [[path, shape], ...] of tensors `model.0000`, `model.0001`, ...
    metadata["optimizer"]        JSON: [[path, shape], ...] of tensors `optimizer.0000`, ...
    metadata["seed_states"]      JSON: [[path, shape], ...] of tensors `seed_states.0000`, ... (saving.seed_states)
    metadata["tensor_sha256"]    JSON: {tensor name: SHA-256 of its dtype, shape and little-endian bytes}
    metadata["metadata_sha256"]  SHA-256 of every other metadata entry (sorted (key, value) pairs as JSON)

Reading checks the format, the version and both digests before anything is parsed further; a file
of version 1 without digests (written before they existed) is read with a warning. Every write goes
to a temporary file in the same folder, created as `open()` would create the file (the process
umask applies; an existing file's mode is kept), then renamed over the target; the temporaries of
writers that died are removed by the next write to the same path.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import pathlib
import re
import secrets
import stat
import warnings

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save as safetensors_bytes

from fitspec.errors import invalid_argument

FORMAT = "fitspec"
FORMAT_VERSION = 1
KINDS = ("model", "weights", "backup")
TENSOR_DIGESTS, METADATA_DIGEST = "tensor_sha256", "metadata_sha256"
#: limits on each JSON entry of the metadata: a file cannot make the reader recurse or parse without bound
MAX_JSON_DEPTH, MAX_JSON_CHARS = 64, 32 * 2**20


# -- writing ----------------------------------------------------------------------------------------
def _temporary_name(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":  # elsewhere os.kill(pid, 0) would not just ask
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


def remove_stale_temporaries(path) -> None:
    """Remove the temporaries that writers of `path` which no longer run left behind (a SIGKILL mid-write)."""
    path = pathlib.Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    try:
        names = os.listdir(path.parent if str(path.parent) else ".")
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _process_alive(int(match.group(1))):
            try:
                os.unlink(path.parent / name)
            except FileNotFoundError:
                pass  # another writer removed it first


def write_atomically(path, data: bytes) -> None:
    path = pathlib.Path(path)
    remove_stale_temporaries(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = _temporary_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)  # umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def tensor_digest(array: np.ndarray) -> str:
    array = np.asarray(array)
    little_endian = array.astype(array.dtype.newbyteorder("<"), copy=False)
    digest = hashlib.sha256(f"{array.dtype.name}{list(array.shape)}".encode())
    digest.update(np.ascontiguousarray(little_endian).tobytes())
    return digest.hexdigest()


def metadata_digest(metadata: dict[str, str]) -> str:
    entries = sorted((k, v) for k, v in metadata.items() if k != METADATA_DIGEST)
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def write(path, kind: str, tensors: dict[str, np.ndarray], metadata: dict[str, object]) -> None:
    """`metadata` values that are not strings are stored as JSON; the digests are added."""
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "kind": kind}
    meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()})
    arrays = {k: np.array(v, order="C") for k, v in tensors.items()}  # ascontiguousarray would make 0-d 1-d
    meta[TENSOR_DIGESTS] = json.dumps({name: tensor_digest(array) for name, array in arrays.items()})
    meta[METADATA_DIGEST] = metadata_digest(meta)
    write_atomically(path, safetensors_bytes(arrays, metadata=meta))


# -- reading ----------------------------------------------------------------------------------------
def json_depth(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    brackets = re.sub(r'"(?:[^"\\]|\\.)*"|[^\[\]{}"]', "", text)
    steps = (1 if c in "[{" else -1 for c in brackets)
    return max(itertools.accumulate(steps, initial=0))


class Contents:
    """A read and verified fitspec file: `.kind`, `.json(key)`, `.group(prefix)`.

    Every refusal is a ValueError `<where>: argument `<argument>` expected ...; received <path, why>`.
    """

    def __init__(self, path, where: str, argument: str = "filepath"):
        self.path, self.where, self.argument = os.fspath(path), where, argument
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"{where}: argument `{argument}` expected an existing file; received "
                                    f"{self.path!r}.")
        try:
            with safe_open(self.path, "np") as f:
                raw = f.metadata() or {}
                self._tensors = {name: f.get_tensor(name) for name in f.keys()}
        except (SafetensorError, OSError, ValueError, TypeError) as error:
            self.refuse("a complete fitspec file", f"which is truncated or not a safetensors file ({error})")
        if raw.get("format") != FORMAT:
            self.refuse("a fitspec file", "a safetensors file without fitspec metadata")
        self._check_version(raw.get("format_version"))
        self._verify(raw)
        self._raw = raw
        self.kind = raw.get("kind")
        if self.kind not in KINDS:
            self.refuse(f"a fitspec file of kind {KINDS}", f"whose kind is {self.kind!r}")

    def refuse(self, expected: str, why: str):
        raise invalid_argument(self.where, self.argument, expected, f"<{self.path!r}, {why}>")

    def _check_version(self, text) -> None:
        if not isinstance(text, str) or not text.isdigit() or int(text) < 1:
            self.refuse("a fitspec file with a format version", f"whose format_version is {text!r}")
        if int(text) > FORMAT_VERSION:
            raise ValueError(
                f"{self.where}: {self.path!r} has format version {int(text)}, newer than this fitspec reads "
                f"({FORMAT_VERSION}); upgrade fitspec to load it."
            )

    def _verify(self, raw: dict[str, str]) -> None:
        """Both digests, before anything else is read; a file written before digests existed warns."""
        if TENSOR_DIGESTS not in raw and METADATA_DIGEST not in raw:
            warnings.warn(f"{self.where}: {self.path!r} has no integrity digests (written by an older fitspec): "
                          "a corruption of its bytes cannot be detected. Save it again to add them.", stacklevel=4)
            return
        if raw.get(METADATA_DIGEST) != metadata_digest(raw):
            self.refuse("an intact fitspec file", "whose metadata does not match its SHA-256 digest (corrupted)")
        digests = self._parse(TENSOR_DIGESTS, raw[TENSOR_DIGESTS] if TENSOR_DIGESTS in raw else "null")
        if not isinstance(digests, dict) or set(digests) != set(self._tensors):
            self.refuse("an intact fitspec file", "whose tensors are not the ones its digests name (corrupted)")
        for name, array in self._tensors.items():
            if digests[name] != tensor_digest(array):
                self.refuse("an intact fitspec file", f"whose tensor {name!r} does not match its SHA-256 digest "
                                                      "(corrupted)")

    def _parse(self, key: str, text: str):
        if len(text) > MAX_JSON_CHARS or json_depth(text) > MAX_JSON_DEPTH:
            self.refuse(f"metadata of at most {MAX_JSON_CHARS} characters nested at most {MAX_JSON_DEPTH} deep",
                        f"whose {key!r} entry is larger or deeper")
        try:
            return json.loads(text)
        except ValueError:
            self.refuse("metadata entries in JSON", f"whose {key!r} entry is not JSON")

    def json(self, key: str, kind: type = dict, required: bool = True):
        """The metadata entry `key`, parsed; it must be a `kind` (None when absent and not `required`)."""
        if key not in self._raw:
            if required:
                self.refuse(f"a fitspec file with a {key!r} entry", f"which has none (its kind is {self.kind!r})")
            return None
        value = self._parse(key, self._raw[key])
        if not isinstance(value, kind):
            self.refuse(f"a {key!r} entry that is a {kind.__name__}", f"whose {key!r} entry is {type(value).__name__}")
        return value

    def group(self, prefix: str, required: bool = True) -> list[tuple[str, np.ndarray]] | None:
        """[(variable path, array)] of the tensors `<prefix>.0000`, ... that the `prefix` entry lists, checked
        against the tensors themselves (count, names and shapes)."""
        key = {"model": "weights"}.get(prefix, prefix) if self.kind != "backup" else prefix
        entries = self.json(key, list, required)
        if entries is None:
            return None
        out = []
        for i, entry in enumerate(entries):
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                    and isinstance(entry[1], list) and all(_is_dimension(d) for d in entry[1])):
                self.refuse(f"{key!r} entries [variable path, shape]", f"whose entry {i} is {entry!r}"[:200])
            name = f"{prefix}.{i:04d}"
            if name not in self._tensors:
                self.refuse(f"a tensor {name!r} for each {key!r} entry", f"which lacks {name!r}")
            array = self._tensors[name]
            if list(array.shape) != entry[1]:
                self.refuse(f"tensor {name!r} of the shape its entry gives, {tuple(entry[1])}",
                            f"whose {name!r} has shape {array.shape}")
            out.append((entry[0], array))
        return out

    def values(self, prefix: str) -> int:
        """How many numbers the tensors of a group hold."""
        return sum(int(a.size) for name, a in self._tensors.items() if name.startswith(f"{prefix}."))


def _is_dimension(d) -> bool:
    return isinstance(d, int) and not isinstance(d, bool) and d >= 0


def numbered(prefix: str, arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{prefix}.{i:04d}": np.asarray(a) for i, a in enumerate(arrays)}

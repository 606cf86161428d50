"""Checkpoints against a careless or hostile world: damaged and crafted files, killed writers, umasks, backups.

Every refusal is the library's ValueError naming the call, the argument and the file, and leaves
the model, its optimizer state and the files on disk as they were.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import save_file

from fitspec.saving import file_format
from fitspec.saving.serialization import model_config


def trained(fs, widths=(3, 1)):
    model = fs.Sequential([fs.Input(shape=(2,)), *(fs.layers.Dense(w, activation="tanh") for w in widths)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, widths[-1])), verbose=0)
    return model


def state_of(model) -> list[np.ndarray]:
    """Everything a refusal must leave as it was: weights, optimizer variables (iterations included)."""
    return [np.array(w) for w in model.get_weights()] + [np.array(v.numpy()) for v in model.optimizer.variables]


def assert_unchanged(model, before) -> None:
    after = state_of(model)
    assert len(after) == len(before)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)


def read(path):
    """(metadata, tensors) of a safetensors file."""
    with safe_open(str(path), "np") as f:
        return dict(f.metadata()), {name: f.get_tensor(name) for name in f.keys()}


def rewrite(path, out, digests=True, **changes):
    """`path` with metadata entries changed (a value None removes the entry); its digests recomputed (a file
    crafted on purpose) or left out (a file of the format before digests)."""
    metadata, tensors = read(path)
    tensors = changes.pop("tensors", tensors)
    for key, value in changes.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value if isinstance(value, str) else json.dumps(value)
    metadata.pop(file_format.TENSOR_DIGESTS)
    metadata.pop(file_format.METADATA_DIGEST)
    if digests:
        metadata[file_format.TENSOR_DIGESTS] = json.dumps({n: file_format.tensor_digest(a) for n, a in tensors.items()})
        metadata[file_format.METADATA_DIGEST] = file_format.metadata_digest(metadata)
    save_file(tensors, str(out), metadata=metadata)
    return out.read_bytes()


REFUSED = r"^(load_model|load_weights): argument `filepath` expected .*received <'.*'"


# -- corruption ------------------------------------------------------------------------------------
def tensor_offset(path, name) -> int:
    """Where the bytes of tensor `name` start in the file."""
    raw = path.read_bytes()
    header_size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_size])
    return 8 + header_size + header[name]["data_offsets"][0]


def test_a_flipped_byte_in_a_tensor_is_refused_naming_the_file_and_the_tensor(fs, tmp_path):
    model = trained(fs)
    model.save(tmp_path / "m.keras")
    raw = bytearray((tmp_path / "m.keras").read_bytes())
    raw[tensor_offset(tmp_path / "m.keras", "model.0000") + 3] ^= 0x10
    (tmp_path / "bad.keras").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"^load_model: .*bad\.keras.*tensor 'model\.0000' does not match its "
                                         r"SHA-256"):
        fs.models.load_model(tmp_path / "bad.keras")
    before = state_of(model)
    with pytest.raises(ValueError, match=r"^load_weights: .*tensor 'model\.0000'"):
        model.load_weights(tmp_path / "bad.keras")
    assert_unchanged(model, before)
    assert (tmp_path / "bad.keras").read_bytes() == bytes(raw)


@pytest.fixture(scope="module")
def saved_file(backend_module, tmp_path_factory):
    """A small trained model of the backend under test, saved, and its state (in the backend's default floatx)."""
    model = trained(backend_module, widths=(3, 2))
    path = tmp_path_factory.mktemp("flips") / "model.keras"
    model.save(path)
    return path.read_bytes(), state_of(model), model_config(model)


@settings(max_examples=60)
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=3))
def test_a_file_with_flipped_bytes_loads_as_saved_or_is_refused(backend_module, saved_file, tmp_path_factory, flips):
    raw, saved_state, saved_config = saved_file
    damaged = bytearray(raw)
    for where, mask in flips:
        damaged[int(where * len(raw))] ^= mask
    path = tmp_path_factory.mktemp("flipped") / "model.keras"
    path.write_bytes(bytes(damaged))
    try:
        loaded = backend_module.models.load_model(path)
    except ValueError as error:
        assert str(error).startswith("load_model:") and repr(str(path)) in str(error), str(error)
        return
    assert model_config(loaded) == saved_config
    for a, b in zip(state_of(loaded), saved_state, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_file_without_digests_loads_with_a_warning(fs, tmp_path):
    model = trained(fs)
    model.save(tmp_path / "m.keras")
    rewrite(tmp_path / "m.keras", tmp_path / "old.keras", digests=False)
    with pytest.warns(UserWarning, match=r"old\.keras.*no integrity digests"):
        loaded = fs.models.load_model(tmp_path / "old.keras")
    for a, b in zip(state_of(loaded), state_of(model)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("version", [None, "0", "-5", "1.0", "one"])
def test_a_missing_or_invalid_format_version_is_refused(fs, tmp_path, version):
    model = trained(fs)
    model.save_weights(tmp_path / "w.safetensors")
    rewrite(tmp_path / "w.safetensors", tmp_path / "bad.safetensors", format_version=version)
    before = state_of(model)
    with pytest.raises(ValueError, match=REFUSED + r".*format_version is"):
        model.load_weights(tmp_path / "bad.safetensors")
    assert_unchanged(model, before)


# -- stored dtypes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("stored", ["int8", "bool", "int64"])
def test_a_weight_stored_in_another_dtype_family_is_refused(fs, tmp_path, stored):
    model = trained(fs)
    model.save_weights(tmp_path / "w.safetensors")
    _, tensors = read(tmp_path / "w.safetensors")
    tensors["model.0000"] = tensors["model.0000"].astype(stored)
    rewrite(tmp_path / "w.safetensors", tmp_path / "bad.safetensors", tensors=tensors)
    before = state_of(model)
    with pytest.raises(ValueError, match=REFUSED + rf".*stores it as {stored}"):
        model.load_weights(tmp_path / "bad.safetensors")
    assert_unchanged(model, before)


def test_floating_weights_of_another_precision_are_cast_and_an_overflow_is_refused(fs, tmp_path):
    model = trained(fs)
    model.save_weights(tmp_path / "w.safetensors")
    _, tensors = read(tmp_path / "w.safetensors")
    half = {k: v.astype("float16") for k, v in tensors.items()}
    rewrite(tmp_path / "w.safetensors", tmp_path / "half.safetensors", tensors=half)
    model.load_weights(tmp_path / "half.safetensors")
    for w, h in zip(model.get_weights(), half.values()):
        np.testing.assert_array_equal(w, h.astype(w.dtype))
    if fs.config.floatx() == "float64":
        return  # nothing overflows a float64 weight
    huge = dict(tensors, **{"model.0000": np.full(tensors["model.0000"].shape, 1e300)})
    rewrite(tmp_path / "w.safetensors", tmp_path / "huge.safetensors", tensors=huge)
    before = state_of(model)
    with pytest.raises(ValueError, match=REFUSED + r".*float64 values overflow float32"):
        model.load_weights(tmp_path / "huge.safetensors")
    assert_unchanged(model, before)


# -- malformed metadata --------------------------------------------------------------------------------
MALFORMED = {
    "no kind": ({"kind": None}, r"kind is None"),
    "an unknown kind": ({"kind": "pickle"}, r"kind is 'pickle'"),
    "no weights entry": ({"weights": None}, r"'weights' entry.*has none"),
    "weights not a list": ({"weights": {"a": 1}}, r"'weights' entry that is a list"),
    "a malformed weights entry": ({"weights": [["d/kernel"], ["d/bias", [3]]]}, r"entries \[variable path, shape\]"),
    "a negative dimension": ({"weights": [["d/kernel", [-2, 3]], ["d/bias", [3]]]}, r"entries \[variable path"),
    "an entry without its tensor": ({"weights": "EXTRA"}, r"lacks 'model\.0004'"),
    "a shape that is not the tensor's": ({"weights": "SWAP"}, r"'model\.0000' has shape \(2, 3\)"),
    "weights that are not JSON": ({"weights": "[[\"d/kernel\", [2, 3]"}, r"'weights' entry is not JSON"),
    "deeply nested JSON": ({"model": "[" * 5000 + "]" * 5000}, r"nested at most 64 deep"),
    "a config without class_name": ({"model": {"name": "m"}}, r"model config.*KeyError: 'class_name'"),
    "a config of the wrong types": ({"model": {"class_name": "Sequential", "name": "m", "input": 7,
                                               "layers": "x"}}, r"model config.*TypeError"),
    "a compile config without optimizer": ({"compile": {"loss": "mse"}}, r"compile config.*KeyError: 'optimizer'"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_metadata_is_refused_by_the_library(fs, tmp_path, case):
    changes, message = MALFORMED[case]
    model = trained(fs)
    model.save(tmp_path / "m.keras")
    metadata, _ = read(tmp_path / "m.keras")
    entries = json.loads(metadata["weights"])
    if changes.get("weights") == "EXTRA":
        changes = {"weights": [*entries, ["extra/kernel", [1]]]}
    elif changes.get("weights") == "SWAP":
        changes = {"weights": [["d/kernel", [3, 2]], *entries[1:]]}
    crafted = rewrite(tmp_path / "m.keras", tmp_path / "bad.keras", **changes)
    with pytest.raises(ValueError, match=r"^load_model: argument `filepath` expected (?=.*bad\.keras)(?=.*" + message
                       + ")"):
        fs.models.load_model(tmp_path / "bad.keras")
    if "model" not in changes and "compile" not in changes:
        before = state_of(model)
        with pytest.raises(ValueError, match=r"^load_weights: argument `filepath`"):
            model.load_weights(tmp_path / "bad.keras")
        assert_unchanged(model, before)
    assert (tmp_path / "bad.keras").read_bytes() == crafted


@pytest.mark.parametrize(("layer", "message"), [
    ({"units": 2**24}, r"weight 'big/kernel' of shape \(3, 16777216\)"),
    ({"units": 2**40}, r"weight 'big/kernel' of shape \(3, 1099511627776\)"),
    ("input", r"input of shape \[1099511627776\]"),
])
def test_a_config_larger_than_the_files_tensors_is_refused_before_it_is_built(fs, tmp_path, layer, message):
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(3), fs.layers.Dense(1, name="big")])
    model.save(tmp_path / "m.keras")
    metadata, _ = read(tmp_path / "m.keras")
    config = json.loads(metadata["model"])
    layers = config["config"]["layers"]  # Keras 3's form: the InputLayer first (docs/SPEC.md 2.8)
    if layer == "input":
        layers[0]["config"]["batch_shape"] = [None, 2**40]
        config["config"]["build_input_shape"] = [None, 2**40]
    else:
        layers[2]["config"].update(layer)
    rewrite(tmp_path / "m.keras", tmp_path / "big.keras", model=config)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"^load_model: argument `filepath` expected .*" + message):
            fs.models.load_model(tmp_path / "big.keras")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB allocated before the refusal"


# -- files on disk ---------------------------------------------------------------------------------------
@pytest.fixture
def umask_077():
    before = os.umask(0o077)
    yield
    os.umask(before)


def test_checkpoints_are_created_under_the_umask_and_keep_an_existing_files_mode(fs, tmp_path, umask_077):
    model = trained(fs)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.safetensors")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0, epochs=1, callbacks=[
        fs.callbacks.ModelCheckpoint(str(tmp_path / "ckpt.keras")),
        fs.callbacks.BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)])
    for name in ("m.keras", "w.safetensors", "ckpt.keras", "backup/backup.fitspec"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
    os.chmod(tmp_path / "m.keras", 0o640)
    model.save(tmp_path / "m.keras")
    assert stat.S_IMODE(os.stat(tmp_path / "m.keras").st_mode) == 0o640


WRITER = textwrap.dedent('''
    import importlib, sys
    import numpy as np
    fs = importlib.import_module("fitspec_" + sys.argv[1])
    model = fs.Sequential([fs.Input(shape=(64,)), fs.layers.Dense(512), fs.layers.Dense(512), fs.layers.Dense(1)])
    print("ready", flush=True)
    while True:
        model.save(sys.argv[2])
''')


def test_writers_killed_at_random_moments_leave_no_temporary_once_the_file_is_saved_again(
        backend_name, backend_module, tmp_path):
    fs = backend_module  # one precision is enough: the writer runs at the backend's default
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    path = tmp_path / "m.keras"
    delays = np.random.default_rng(19).uniform(0.0, 0.5, size=3)
    for delay in delays:
        writer = subprocess.Popen([sys.executable, str(script), backend_name, str(path)], stdout=subprocess.PIPE,
                                  text=True)
        try:
            assert writer.stdout.readline().strip() == "ready"
            try:
                writer.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                pass
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
        if path.exists():  # what a killed writer leaves under the name is always a whole file
            fs.models.load_model(path)
    model = fs.Sequential([fs.Input(shape=(64,)), fs.layers.Dense(512), fs.layers.Dense(512), fs.layers.Dense(1)])
    model.save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "writer.py"]  # the killed writers' temporaries are gone
    for a, b in zip(fs.models.load_model(path).get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- BackupAndRestore ---------------------------------------------------------------------------------------
def fit_with_backup(model, backup_dir, **kwargs):
    return model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=4, epochs=2, verbose=0,
                     callbacks=[fs_callbacks(model).BackupAndRestore(backup_dir, **kwargs)])


def fs_callbacks(model):
    return model.backend.api.callbacks


def test_backup_and_restore_deletes_only_what_it_wrote(fs, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    fit_with_backup(trained(fs), mine)
    assert os.listdir(mine) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    fit_with_backup(trained(fs), empty)
    assert empty.is_dir() and os.listdir(empty) == []
    fit_with_backup(trained(fs), tmp_path / "new")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("fit_state", "message"), [
    ({"epoch": "1", "steps_done": 0, "shuffle_seed": 5}, r"'epoch': '1'"),
    ({"epoch": 1.0, "steps_done": 0, "shuffle_seed": 5}, r"'epoch': 1\.0"),
    ({"epoch": -5, "steps_done": 0, "shuffle_seed": 5}, r"'epoch': -5"),
    ({"epoch": 1, "steps_done": 3, "shuffle_seed": 5}, r"steps_done <= 2.*'steps_done': 3"),
    ({"epoch": 1, "steps_done": 0}, r"received <\{'epoch': 1, 'steps_done': 0\}"),
    ({"epoch": 1, "steps_done": 0, "shuffle_seed": 2**70}, r"'shuffle_seed': 1180591620717411303424"),
    ([1, 0, 5], r"received <\[1, 0, 5\]"),
])
def test_a_malformed_backup_is_refused_before_anything_is_restored(fs, tmp_path, fit_state, message):
    model = trained(fs)
    fit_with_backup(model, tmp_path / "b", delete_checkpoint=False)
    path = tmp_path / "b" / "backup.fitspec"
    crafted = rewrite(path, tmp_path / "crafted.fitspec", fit_state=fit_state)
    path.write_bytes(crafted)
    before = state_of(model)
    with pytest.raises(ValueError, match=r"^BackupAndRestore: argument `fit_state` expected .*" + message
                                         + r".* in the backup '.*backup\.fitspec'"):
        fit_with_backup(model, tmp_path / "b")
    assert_unchanged(model, before)
    assert path.read_bytes() == crafted


def test_a_corrupted_backup_is_refused_before_anything_is_restored(fs, tmp_path):
    model = trained(fs)
    fit_with_backup(model, tmp_path / "b", delete_checkpoint=False)
    path = tmp_path / "b" / "backup.fitspec"
    raw = bytearray(path.read_bytes())
    raw[tensor_offset(path, "optimizer.0002")] ^= 0x01
    path.write_bytes(bytes(raw))
    before = state_of(model)
    with pytest.raises(ValueError, match=r"^BackupAndRestore: argument `backup_dir` expected .*backup\.fitspec.*"
                                         r"tensor 'optimizer\.0002' does not match"):
        fit_with_backup(model, tmp_path / "b")
    assert_unchanged(model, before)
    assert path.read_bytes() == bytes(raw)

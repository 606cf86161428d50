"""Data-parallel training computes what one device computes (SPEC 12): fs.distribution's names and checks on
every backend; on JAX (R XLA host devices in one process) and torch (R gloo processes under fitspec-launch)
the same fit gives the same History, evaluate() and weights as one device, and its checkpoint loads anywhere.

The runs are subprocesses (`conformance/distributed/train_program.py`): device flags must be set before jax
is imported, and torch's replicas are processes. Each runs both precisions in one process.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

from conformance.tolerances import tolerance
from fitspec import backend_registry

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA_PARALLEL = ("jax", "tensorflow", "torch")
#: where each backend's replicas run: devices of one process, or processes of their own (fitspec-launch)
LAYOUTS = {"jax": ("devices", "processes"), "tensorflow": ("devices", "processes"), "torch": ("processes",)}
#: `nox -s conformance-distributed` sets FITSPEC_DISTRIBUTED=full: every layout, and every backend's resume of a
#: killed run; each conformance-<backend> suite (CI) leaves out the slowest, JAX's processes (JAX's suite is CI's
#: longest) and TensorFlow's resume (two launches of three TensorFlow processes)
FULL = os.environ.get("FITSPEC_DISTRIBUTED") == "full"
LEFT_OUT = set() if FULL else {("jax", "processes"), ("tensorflow", "resume")}
#: seconds a subprocess run may take before the test fails (imports dominate on a loaded 2-core machine)
RUN_TIMEOUT = 300


# -- the namespace and its checks ----------------------------------------------------------------------
def test_the_distribution_namespace_has_keras_names(fs):
    import importlib

    module = importlib.import_module(f"{fs.__name__}.distribution")
    assert module is fs.distribution
    for name in ("list_devices", "get_device_count", "initialize", "DeviceMesh", "TensorLayout", "Distribution",
                 "DataParallel", "ModelParallel", "LayoutMap", "distribution", "set_distribution"):
        assert name in module.__all__, name
    devices = fs.distribution.list_devices()
    assert devices and all(d.split(":")[0] in ("cpu", "gpu", "tpu") and d.split(":")[1].isdigit() for d in devices)
    assert fs.distribution.get_device_count() == len(devices)


def test_a_device_mesh_and_a_layout_are_checked_as_keras_checks_them(fs):
    d = fs.distribution
    mesh = d.DeviceMesh((1,), ["batch"], devices=["cpu:0"])
    assert mesh.shape == (1,) and mesh.axis_names == ["batch"] and mesh.devices.shape == (1,)
    with pytest.raises(ValueError, match="shape"):
        d.DeviceMesh((2,), ["batch"], devices=["cpu:0"])
    with pytest.raises(ValueError, match="axis_names"):
        d.DeviceMesh((1,), ["batch", "model"], devices=["cpu:0"])
    layout = d.TensorLayout(("batch", None), mesh)
    assert layout.axes == ("batch", None) and layout.device_mesh is mesh
    with pytest.raises(ValueError, match="axes"):
        d.TensorLayout(("model",), mesh)
    unbound = d.TensorLayout(("batch",))
    unbound.device_mesh = mesh
    with pytest.raises(ValueError, match="cannot be replaced"):
        unbound.device_mesh = mesh


def test_model_parallel_and_layout_map_are_refused_naming_the_backend(fs):
    mesh = fs.distribution.DeviceMesh((1,), ["model"], devices=["cpu:0"])
    with pytest.raises(NotImplementedError, match=fs.backend.name):
        fs.distribution.LayoutMap(mesh)
    with pytest.raises(NotImplementedError, match=fs.backend.name):
        fs.distribution.ModelParallel(layout_map=None, batch_dim_name="batch")


@pytest.mark.backends("numpy", reason="the backends that run no DataParallel yet")
def test_data_parallel_is_refused_by_a_backend_that_does_not_run_it(fs):
    with pytest.raises(NotImplementedError, match=f"backend '{fs.backend.name}'"):
        fs.distribution.DataParallel()


@pytest.mark.backends(*DATA_PARALLEL, reason="the backends that run DataParallel")
def test_data_parallel_shards_the_batch_axis_and_replicates_variables(fs):
    d = fs.distribution
    dp = d.DataParallel(devices=d.list_devices())
    assert dp.batch_dim_name == "batch" and dp.num_model_replicas == len(d.list_devices())
    assert dp.get_data_layout((8, 3)).axes == ("batch", None)
    assert dp.get_variable_layout(fs.Variable(np.zeros((2, 3)))).axes == (None, None)
    assert dp.get_tensor_layout("dense/kernel") is None
    with pytest.raises(ValueError, match="device_mesh"):
        d.DataParallel(device_mesh="batch")
    assert d.distribution() is None
    with dp.scope():
        assert d.distribution() is dp
    assert d.distribution() is None
    d.set_distribution(dp)
    assert d.distribution() is dp and fs.backend.distribution is dp
    d.set_distribution(None)
    with pytest.raises(ValueError, match="set_distribution"):
        d.set_distribution("DataParallel")


def test_a_variable_takes_keras_aggregation_and_synchronization(fs):
    """How replicas combine a variable (SPEC 13.7): Keras's values and defaults; a metric's are summed on read."""
    v = fs.Variable(np.zeros(2))
    assert (v.aggregation, v.synchronization) == ("none", "auto")
    v = fs.Variable(np.zeros(2), aggregation=None, synchronization=None)
    assert (v.aggregation, v.synchronization) == ("none", "none")
    v = fs.Variable(np.zeros(2), aggregation="only_first_replica", synchronization="on_write")
    assert (v.aggregation, v.synchronization) == ("only_first_replica", "on_write")
    with pytest.raises(ValueError, match="aggregation"):
        fs.Variable(np.zeros(2), aggregation="max")
    with pytest.raises(ValueError, match="synchronization"):
        fs.Variable(np.zeros(2), synchronization="ON_READ")
    assert {(v.aggregation, v.synchronization) for v in fs.metrics.Mean().variables} == {("sum", "on_read")}


def test_initialize_is_a_no_op_without_world_size_or_with_one_process(fs, monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_JOB_ADDRESSES"):
        monkeypatch.delenv(name, raising=False)
    fs.distribution.initialize()
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    fs.distribution.initialize()
    assert fs.backend.process_environment is None


# -- data-parallel runs against one device ------------------------------------------------------------------
def _free_port(count: int = 1) -> int:
    """A port P with P .. P + count - 1 free (tensorflow's workers listen on MASTER_PORT + rank)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + count <= 65536 and all(_is_free(port + i) for i in range(1, count)):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _run(command, env_extra=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return done


class Runs:
    """The train program's runs of one backend, made once per session: one device, and R replicas (as devices of
    one process or as processes)."""

    def __init__(self, backend, precisions, root: pathlib.Path):
        self.backend, self.precisions, self.root, self.done = backend, ",".join(precisions), root, {}

    def __call__(self, replicas: int, layout: str | None = None) -> tuple[pathlib.Path, str]:
        layout = LAYOUTS[self.backend][0] if layout is None else layout
        key = (1, None) if replicas == 1 else (replicas, layout)
        if key not in self.done:
            out = self.root / f"{self.backend}_{replicas}_{key[1]}"
            out.mkdir()
            program = ["-m", "conformance.distributed.train_program", self.backend, self.precisions, str(out)]
            if replicas == 1:
                done = _run([sys.executable, *program])
            elif layout == "devices" and self.backend == "jax":
                done = _run([sys.executable, *program, "--data-parallel"],
                            {"XLA_FLAGS": f"--xla_force_host_platform_device_count={replicas}"})
            elif layout == "devices":
                done = _run([sys.executable, *program, "--data-parallel", "--logical-cpus", str(replicas)])
            else:
                done = _run([sys.executable, "-m", "fitspec.launch", "--nproc-per-node", str(replicas),
                             "--master-port", str(_free_port(replicas)), *program, "--data-parallel"])
            self.done[key] = (out, done.stdout)
        return self.done[key]


@pytest.fixture(scope="module")
def runs(backend_name, pytestconfig, tmp_path_factory):
    option = pytestconfig.getoption("--precision")
    return Runs(backend_name, ("float64", "float32") if option == "both" else (option,),
                tmp_path_factory.mktemp("distributed"))


def _result(out: pathlib.Path, precision: str) -> dict:
    return json.loads((out / f"result_{precision}.json").read_text())


#: replica counts checked: 2 (an uneven split of the last batch among them) in every suite; `nox -s
#: conformance-distributed` adds 4 (FITSPEC_REPLICAS=2,4), each count being a launch of its own processes
REPLICAS = [int(r) for r in os.environ.get("FITSPEC_REPLICAS", "2").split(",")]


@pytest.mark.backends(*DATA_PARALLEL, reason="the backends that run DataParallel")
@pytest.mark.parametrize("layout", ["devices", "processes"])
@pytest.mark.parametrize("replicas", REPLICAS)
def test_data_parallel_fit_equals_one_device(runs, replicas, layout, precision, device):
    """History, evaluate(), train_on_batch / test_on_batch and final weights of R replicas on the same global
    batches: float64 within 1e-9 relative, float32 within the table (the replicas sum in another order)."""
    if layout not in LAYOUTS[runs.backend]:
        pytest.skip(f"{runs.backend} runs its replicas as {LAYOUTS[runs.backend][0]} (SPEC 13)")
    if (runs.backend, layout) in LEFT_OUT:
        pytest.skip(f"{runs.backend}'s {layout}: only in `nox -s conformance-distributed` (FITSPEC_DISTRIBUTED=full)")
    rtol, atol = tolerance(precision, device)
    one, many = _result(runs(1)[0], precision), _result(runs(replicas, layout)[0], precision)
    assert len(many["devices"]) == replicas
    assert many["history"].keys() == one["history"].keys()
    for key, values in one["history"].items():
        np.testing.assert_allclose(many["history"][key], values, rtol=rtol, atol=atol, err_msg=f"history[{key}]")
    assert many["evaluate"].keys() == one["evaluate"].keys()
    for key, value in one["evaluate"].items():
        np.testing.assert_allclose(many["evaluate"][key], value, rtol=rtol, atol=atol, err_msg=f"evaluate[{key}]")
    for method, logs in one["on_batch"].items():
        for key, value in logs.items():
            np.testing.assert_allclose(many["on_batch"][method][key], value, rtol=rtol, atol=atol,
                                       err_msg=f"{method}[{key}]")
    for i, (got, expected) in enumerate(zip(many["weights"], one["weights"])):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"weights[{i}]")


@pytest.mark.backends(*DATA_PARALLEL, reason="the backends that run DataParallel")
def test_a_data_parallel_checkpoint_loads_on_one_device_of_every_backend(runs, precision):
    out, _ = runs(2)
    weights = _result(out, precision)["weights"]
    for name in backend_registry.names():
        other = backend_registry.load(name)
        before = other.config.floatx()
        other.config.set_floatx(precision)  # jax holds float64 only with x64 on
        try:
            loaded = other.models.load_model(out / f"model_{precision}.fitspec", compile=False)
            for got, expected in zip(loaded.get_weights(), weights):
                got = np.asarray(got)
                np.testing.assert_array_equal(got, np.asarray(expected).astype(got.dtype), err_msg=name)
        finally:
            other.config.set_floatx(before)


@pytest.mark.backends("tensorflow", "torch", reason="the backends whose replicas can be processes")
def test_only_rank_zero_prints_the_progress_bar(runs):
    _, stdout = runs(2, "processes")
    assert stdout.count("Epoch 1/2") == len(runs.precisions.split(","))


@pytest.mark.backends("tensorflow", "torch", reason="the backends whose replicas can be processes")
def test_backup_and_restore_resumes_a_killed_distributed_run_to_the_unkilled_runs_weights(runs, tmp_path, device):
    """The last rank is killed (SIGKILL) in the second epoch; the launcher stops the others; the same command run
    again resumes from the backup of the first epoch and ends where a run never killed ends (SPEC 13.5)."""
    if (runs.backend, "resume") in LEFT_OUT:
        pytest.skip(f"{runs.backend}'s resume runs only in `nox -s conformance-distributed` (FITSPEC_DISTRIBUTED=full)")
    precision = runs.precisions.split(",")[0]
    out = tmp_path / "resumed"
    out.mkdir()
    command = [sys.executable, "-m", "fitspec.launch", "--nproc-per-node", "2", "--master-port", str(_free_port(2)),
               "-m", "conformance.distributed.train_program", runs.backend, precision, str(out), "--data-parallel",
               "--backup-dir", str(tmp_path / "backup"), "--kill-at-step", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    # the launcher exits with the status of the first process it finds failed: the killed rank's (137), or a peer's
    # that noticed the loss first (TensorFlow's heartbeats), never hanging
    assert killed.returncode != 0 and "fitspec-launch: local rank" in killed.stderr, killed.stderr[-4000:]
    assert (tmp_path / "killed").exists() and not (out / f"result_{precision}.json").exists()
    command[command.index("--master-port") + 1] = str(_free_port(2))
    _run(command)
    rtol, atol = tolerance(precision, device)
    resumed, unkilled = _result(out, precision), _result(runs(2, "processes")[0], precision)
    for key, value in unkilled["evaluate"].items():
        np.testing.assert_allclose(resumed["evaluate"][key], value, rtol=rtol, atol=atol, err_msg=f"evaluate[{key}]")
    for i, (got, expected) in enumerate(zip(resumed["weights"], unkilled["weights"])):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"weights[{i}]")
    assert resumed["history"]["loss"] == pytest.approx(unkilled["history"]["loss"][1:], rel=rtol, abs=atol)


FAILING_PROGRAM = """
import os, sys
import fitspec_torch as fs
fs.distribution.initialize()
fs.distribution.set_distribution(fs.distribution.DataParallel())
if fs.backend.process_environment.rank == 1:
    sys.exit(3)
import torch, torch.distributed as dist
dist.all_reduce(torch.ones(1))  # waits for rank 1, which is gone
"""


@pytest.mark.backends("torch", reason="the backend whose replicas are processes")
def test_a_failed_rank_stops_the_others_and_the_launcher_exits_with_its_status(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(FAILING_PROGRAM)
    done = subprocess.run([sys.executable, "-m", "fitspec.launch", "--nproc-per-node", "2", "--master-port",
                           str(_free_port()), str(script)], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 3
    assert "local rank 1 exited with status 3" in done.stderr


MADE_BEFORE_PROGRAM = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
import fitspec_tensorflow as fs
model = fs.Sequential([fs.Input((2,)), fs.layers.Dense(1)])
model.compile(loss="mse")
fs.distribution.set_distribution(fs.distribution.DataParallel())
try:
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
except ValueError as error:
    print(error)
"""


@pytest.mark.backends("tensorflow", reason="the backend whose replicas need variables made under the distribution")
def test_a_model_made_before_the_distribution_is_refused_naming_model(tmp_path):
    """Its variables are plain tf.Variables: every replica would apply its update to the one copy (SPEC 13.7)."""
    script = tmp_path / "made_before.py"
    script.write_text(MADE_BEFORE_PROGRAM)
    done = _run([sys.executable, str(script)])
    assert "model" in done.stdout and "set_distribution" in done.stdout, done.stdout

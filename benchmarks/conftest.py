"""The benchmarks' plugin: backend and device selection, where results go, versions and load in the JSON, the table.

    pytest benchmarks --backend jax [--device gpu] [--steps 128] [--models guide,mlp] [--threads 1] [--cpus 1]
                      [pytest-benchmark options]

Unless told otherwise, the JSON of the run goes to benchmarks/results/<backend>-<device>.json,
saved runs (--benchmark-autosave) to benchmarks/results/history/<backend>-<device>/, which
--benchmark-compare reads, and at least 10 calls are timed (--benchmark-min-rounds). The summary
table is printed at the end of the run. The thread limits are environment variables read when
numpy and the frameworks load: this module imports neither, nor fitspec (which imports numpy) before
they are set; the backends are the installed ones (fitspec.backend_registry).
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import sys

import pytest

from benchmarks import keras_models, report
from benchmarks.environment import thread_limits

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
DEFAULT_STORAGE = "file://./.benchmarks"
#: pytest-benchmark's default --benchmark-min-rounds, raised here: the table takes the fastest call, and a fastest
#: of five calls on a shared machine is too often a disturbed one.
DEFAULT_MIN_ROUNDS, MIN_ROUNDS = 5, 10
MODEL_NAMES = "guide,mlp,convnet,dropout_mlp"  # benchmarks.models.MODELS, not imported here (it imports numpy)



def pytest_addoption(parser):
    group = parser.getgroup("fitspec benchmarks")
    group.addoption("--backend", default=os.environ.get("FITSPEC_BACKEND"),
                    help="backend to benchmark, one of the installed ones (also FITSPEC_BACKEND)")
    group.addoption("--device", choices=("cpu", "gpu"), default="cpu", help="device to run on")
    group.addoption("--steps", type=int, default=128, help="steps (batches) per timed call; a multiple of 8")
    group.addoption("--models", default=MODEL_NAMES, help="comma-separated models to run")
    group.addoption("--threads", type=int, default=1,
                    help="CPU threads per framework pool (1: steady on a shared machine; 0: the frameworks' defaults)")
    group.addoption("--cpus", type=int, default=1,
                    help="CPU cores the run is pinned to (1: framework threads share the Python thread's core, so "
                         "figures do not depend on where the scheduler puts them; 0: every core)")
    group.addoption("--warmup-calls", type=int, default=2,
                    help="untimed calls before timing (the first compiles; the second catches recompiles)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Default result paths per backend and device, set before pytest-benchmark reads its options."""
    backend, device = config.getoption("--backend"), config.getoption("--device")
    loaded_before = set(sys.modules)
    threads = config.getoption("--threads")
    if threads > 0:
        os.environ.update(thread_limits(threads))
    pin_cpus(config.getoption("--cpus"))
    from fitspec import backend_registry  # numpy loads here, after the thread limits and the pin

    if backend not in backend_registry.names():
        raise pytest.UsageError(f"choose the backend to benchmark: --backend {{{','.join(backend_registry.names())}}} "
                                f"or FITSPEC_BACKEND; received {backend!r}")
    loaded = sorted({"numpy", *backend_registry.requirements(backend)} & loaded_before)
    if threads > 0 and loaded:
        raise pytest.UsageError(f"--threads: {loaded} already imported, too late to cap its threads; "
                                "run with --threads=0")
    if config.getoption("--steps") % 8:
        raise pytest.UsageError(f"--steps must be a multiple of 8 (steps_per_execution=8); received "
                                f"{config.getoption('--steps')}")
    if getattr(config.option, "benchmark_json", "absent") is None:
        RESULTS.mkdir(exist_ok=True)
        config.option.benchmark_json = RESULTS / f"{backend}-{device}.json"
    if getattr(config.option, "benchmark_min_rounds", None) == DEFAULT_MIN_ROUNDS:
        config.option.benchmark_min_rounds = MIN_ROUNDS
    if getattr(config.option, "benchmark_storage", None) == DEFAULT_STORAGE:
        config.option.benchmark_storage = f"file://{RESULTS / 'history' / f'{backend}-{device}'}"
    config._fitspec_loadavg_start = _loadavg()


def pin_cpus(cpus: int) -> None:
    """Pin this process, and every thread it starts from now on, to its first `cpus` allowed cores (0: no pin)."""
    if cpus < 0:
        raise pytest.UsageError(f"--cpus must be 0 (every core) or a positive count; received {cpus}")
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cpus])


def _loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _versions(backend: str) -> dict[str, str]:
    from fitspec import backend_registry

    names = ("fitspec", backend_registry.distribution(backend), *backend_registry.requirements(backend),
             "pytest-benchmark")
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    if keras_models.version():
        versions["keras"] = keras_models.version()
    return versions


@pytest.hookimpl(optionalhook=True)  # pytest-benchmark's hooks: the correctness tests also run without the plugin
def pytest_benchmark_update_machine_info(config, machine_info):
    """Backend, device, versions and threads in machine_info, which --benchmark-compare checks for changes."""
    backend = config.getoption("--backend")
    machine_info["fitspec"] = {
        "backend": backend, "device": config.getoption("--device"), "versions": _versions(backend),
        "cpu_count": os.cpu_count(), "threads": config.getoption("--threads") or "default",
        "cpus": config.getoption("--cpus") or "all",
        "steps_per_call": config.getoption("--steps"),
    }


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_json(config, benchmarks, output_json):
    """The load average around the run (kept out of machine_info: it changes every run)."""
    output_json["fitspec_run"] = {"loadavg_start": getattr(config, "_fitspec_loadavg_start", None),
                                  "loadavg_end": _loadavg()}


def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    benchmarks = [b.as_dict(include_data=False) for b in getattr(session, "benchmarks", []) if b]
    benchmarks = [b for b in benchmarks if "role" in b.get("extra_info", {})]
    if benchmarks:
        terminalreporter.section("fit() against the hand-written loop (per step)")
        terminalreporter.write_line(report.format_table(benchmarks))
        terminalreporter.write_line(f"load average at start {config._fitspec_loadavg_start}, now {_loadavg()}")


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def backend_name(pytestconfig) -> str:
    return pytestconfig.getoption("--backend")


@pytest.fixture(scope="session")
def device(pytestconfig) -> str:
    return pytestconfig.getoption("--device")


@pytest.fixture(scope="session")
def fs(backend_name, device, pytestconfig):
    """The backend package, on the selected device (skipped with the reason when the device is absent)."""
    from fitspec import backend_registry

    module = backend_registry.load(backend_name)
    if device not in module.backend.available_devices():
        pytest.skip(f"device {device!r} is absent for backend {backend_name!r} here "
                    f"(available: {module.backend.available_devices()})")
    module.backend.use_device(device)
    threads = pytestconfig.getoption("--threads")
    if backend_name == "torch" and threads > 0:
        import torch

        torch.set_num_threads(threads)
    return module


@pytest.fixture(scope="session")
def steps(pytestconfig) -> int:
    return pytestconfig.getoption("--steps")


@pytest.fixture(scope="session")
def warmup_calls(pytestconfig) -> int:
    return pytestconfig.getoption("--warmup-calls")

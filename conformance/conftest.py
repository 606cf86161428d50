"""The suite's plugin: backend, device and precision selection, xfail lists, the report and the matrix.

    pytest conformance --backend jax --device cpu [--precision float64|float32|both]

The backend may also come from FITSPEC_BACKEND. Tests take the `fs` fixture: the backend package,
set to the test's precision and device.
"""

from __future__ import annotations

import json
import os
import pathlib
import re

import pytest
from hypothesis import HealthCheck, settings

from conformance import matrix, sharding
from fitspec import backend_registry

ROOT = pathlib.Path(__file__).resolve().parent
BACKENDS = tuple(backend_registry.names())
PRECISIONS = ("float64", "float32")

settings.register_profile(
    "ci", derandomize=True, max_examples=40, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("FITSPEC_HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    group = parser.getgroup("fitspec conformance")
    group.addoption("--backend", choices=BACKENDS, default=os.environ.get("FITSPEC_BACKEND"),
                    help="backend under test (also FITSPEC_BACKEND)")
    group.addoption("--device", choices=("cpu", "gpu"), default="cpu", help="device to run on")
    group.addoption("--precision", choices=(*PRECISIONS, "both"), default="both", help="precision mode(s)")
    group.addoption("--report-dir", default=str(ROOT / "reports"), help="where the JSON report is written")
    group.addoption("--shard", default=None, help="I/N: run the I-th of N parts of about equal time "
                    "(conformance/sharding.py; CI runs the JAX suite as two)")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run only on these backends (with the reason why)")
    config._fitspec_outcomes = {}


def pytest_generate_tests(metafunc):
    if "precision" in metafunc.fixturenames:
        option = metafunc.config.getoption("--precision")
        metafunc.parametrize("precision", PRECISIONS if option == "both" else (option,), scope="function")


@pytest.fixture(scope="session")
def backend_name(pytestconfig) -> str:
    name = pytestconfig.getoption("--backend")
    if name is None:
        pytest.exit(f"choose the backend under test: --backend {{{','.join(BACKENDS)}}} or FITSPEC_BACKEND",
                    returncode=4)
    return name


@pytest.fixture(scope="session")
def device(pytestconfig) -> str:
    return pytestconfig.getoption("--device")


@pytest.fixture(scope="session")
def backend_module(backend_name, device):
    try:
        fs = backend_registry.load(backend_name)
    except ImportError as error:
        pytest.exit(f"backend {backend_name!r} is not installed: {error}", returncode=4)
    if device not in fs.backend.available_devices():
        pytest.skip(f"device {device!r} is absent for backend {backend_name!r} on this machine "
                    f"(available: {fs.backend.available_devices()})", allow_module_level=True)
    fs.backend.use_device(device)
    return fs


@pytest.fixture
def fs(backend_module, precision):
    """The backend package at the test's precision; floatx is restored afterwards."""
    before = backend_module.config.floatx()
    backend_module.config.set_floatx(precision)
    yield backend_module
    backend_module.config.set_floatx(before)


# -- xfail lists ---------------------------------------------------------------------------------
def parse_xfails(text: str, source: str) -> dict[str, str]:
    """`test id  reason` per line; blank lines and # comments ignored; a reason is required."""
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise pytest.UsageError(f"{source}:{number}: an xfail entry needs a reason after the test id")
        entries[test_id] = reason.strip()
    return entries


def for_precisions(entries: dict[str, str], precision_option: str) -> dict[str, str]:
    """The entries of the precision(s) selected: an id parametrized with the other precision is not collected."""
    if precision_option == "both":
        return entries
    other = next(p for p in PRECISIONS if p != precision_option)
    pattern = re.compile(rf"[\[-]{other}[\]-]")
    return {t: reason for t, reason in entries.items() if not pattern.search(t)}


def stale_xfails(entries: dict[str, str], collected_ids) -> list[str]:
    """Entries naming a test of a collected file that was not collected: fixed or renamed tests."""
    collected_ids = set(collected_ids)
    files = {nodeid.split("::", 1)[0] for nodeid in collected_ids}
    return [t for t in entries if t not in collected_ids and t.split("::", 1)[0] in files]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    backend = config.getoption("--backend")
    if backend is None:
        return
    path = ROOT / "xfails" / f"{backend}.txt"
    entries = parse_xfails(path.read_text(), str(path)) if path.exists() else {}
    entries = for_precisions(entries, config.getoption("--precision"))
    collected = {item.nodeid.split("conformance/", 1)[-1]: item for item in items}
    stale = stale_xfails(entries, collected)
    if stale:
        raise pytest.UsageError(f"conformance/xfails/{backend}.txt: entries match no test, remove them "
                                f"(a fixed failure must leave the list): {stale}")
    for test_id, reason in entries.items():
        if test_id in collected:
            collected[test_id].add_marker(pytest.mark.xfail(reason=reason, strict=True))
    for item in items:
        marker = item.get_closest_marker("backends")
        if marker and backend not in marker.args:
            item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", f"not applicable to {backend}")))
    select_shard(config, items)


def select_shard(config, items) -> None:
    """`--shard I/N`: keep the I-th part (conformance/sharding.py), after the xfail entries were checked against
    every collected test."""
    if config.getoption("--shard") is None:
        return
    try:
        index, count = sharding.parse(config.getoption("--shard"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    kept = sharding.keep([item.nodeid for item in items], index, count)
    deselected = [item for item in items if item.nodeid not in kept]
    items[:] = [item for item in items if item.nodeid in kept]
    config.hook.pytest_deselected(items=deselected)


# -- report ----------------------------------------------------------------------------------------
_OUTCOMES: dict[str, str] = {}


def pytest_runtest_logreport(report):
    """One outcome per test: its call phase, or the setup phase when that did not pass."""
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if hasattr(report, "wasxfail"):
            _OUTCOMES[report.nodeid] = "xfailed" if report.skipped else "failed"
        else:
            _OUTCOMES[report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter, config):
    if config.getoption("--backend") is None:
        return
    backend, device = config.getoption("--backend"), config.getoption("--device")
    report = {"backend": backend, "device": device, "tests": dict(sorted(_OUTCOMES.items()))}
    report_dir = pathlib.Path(config.getoption("--report-dir"))
    if _OUTCOMES:
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / matrix.report_name(backend, device, config.getoption("--shard"))
        matrix.remove_other_splits(report_dir, path)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
        terminalreporter.write_line(f"conformance report: {path}")
    terminalreporter.write_line(matrix.render([report]))


def pytest_ignore_collect(collection_path, config):
    """A backend run leaves out the meta-tests of the suite's own utilities (they run once, in `tests`)."""
    if config.getoption("--backend") is not None and "meta" in collection_path.parts:
        return True
    return None

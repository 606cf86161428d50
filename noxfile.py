"""Every session a user or CI needs. A fresh clone needs only Python and nox.

    nox -s conformance          all backends' conformance suites, then the matrix
    nox -s lint tests           ruff, then every package's unit tests and every conformance suite
    nox -s tests-<backend>      unit tests of the core and of one backend
    nox -s conformance-<backend> one backend's conformance suite (float64 and float32)
    nox -s golden               regenerate golden/ from fitspec-numpy, twice, and check they agree
    nox -s crosscheck           compare the goldens with Keras 3 (dev only, needs the network once)
    nox -s conformance-distributed  data-parallel runs against one device, every backend, 2 and 4 replicas (SPEC 13)
    nox -s examples             run every example script to the end
"""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import subprocess

import nox
import nox.project

ROOT = pathlib.Path(__file__).parent
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "tests"]


def declared_backends() -> dict[str, pathlib.Path]:
    """backend -> its package folder: the `fitspec.backends` entry point each package declares in its pyproject.toml
    (the registry fitspec.backend_registry reads once the packages are installed), in alphabetical order."""
    found = {}
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        entry_points = nox.project.load_toml(pyproject).get("project", {}).get("entry-points", {})
        found.update({name: pyproject.parent for name in entry_points.get("fitspec.backends", {})})
    return dict(sorted(found.items()))


def nox_pins(package: pathlib.Path) -> list[str]:
    """What nox installs before `package`: its pyproject's `[tool.fitspec] nox-pins` (e.g. a CPU build)."""
    return nox.project.load_toml(package / "pyproject.toml").get("tool", {}).get("fitspec", {}).get("nox-pins", [])


#: the backends in the matrix: every package that declares one.
BACKENDS = declared_backends()
#: scikit-learn ships the handwritten digits the examples train on where no local MNIST exists (fs.datasets).
TEST_REQUIREMENTS = ["pytest>=8", "hypothesis>=6.100", "tensorboard>=2.14", "scikit-learn>=1.3"]


def install_backends(session: nox.Session, backends) -> None:
    pins = [pin for b in backends for pin in nox_pins(BACKENDS[b])]
    if pins:
        session.install(*pins)
    packages = [f"./{BACKENDS[b].relative_to(ROOT)}" for b in backends]
    session.install("./packages/fitspec[images]", *packages, *TEST_REQUIREMENTS)  # images: Pillow (SPEC 12.9)


def conformance_command(session: nox.Session, backend: str, device: str = "cpu") -> list[str]:
    return ["pytest", "conformance", f"--backend={backend}", f"--device={device}", "-p", "no:cacheprovider",
            *session.posargs]


def run_conformance(session: nox.Session, backend: str, device: str = "cpu") -> None:
    session.run(*conformance_command(session, backend, device))


#: suites split into parts of about equal time (conformance/sharding.py), so that two at a time end together
SHARDS = {"jax": 2}
#: minutes of each whole suite in CI (2026-12-05: jax 19:17, tensorflow 6:27, torch 3:11, numpy 2:03): longest first
SUITE_MINUTES = {"jax": 19.3, "tensorflow": 6.5, "torch": 3.2, "numpy": 2.1}


def run_conformance_suites(session: nox.Session, backends, at_once: int = 2) -> None:
    """Each backend's suite in its own pytest process (JAX's in `SHARDS["jax"]`), `at_once` at a time, the
    longest first (a suite keeps about one core busy, and CI has two); each output is printed whole when it ends,
    and any failure fails the session."""
    env = {**os.environ, "PATH": f"{session.bin}{os.pathsep}{os.environ.get('PATH', '')}",
           "VIRTUAL_ENV": str(pathlib.Path(session.bin).parent)}
    jobs = [(backend, [f"--shard={i}/{SHARDS[backend]}"] if backend in SHARDS else [])
            for backend in sorted(backends, key=lambda b: -SUITE_MINUTES.get(b, 0) / SHARDS.get(b, 1))
            for i in range(1, SHARDS.get(backend, 1) + 1)]

    def run(job) -> tuple[str, int, str]:
        backend, shard = job
        done = subprocess.run([*conformance_command(session, backend), *shard], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return " ".join([backend, *shard]), done.returncode, done.stdout

    failed = []
    with concurrent.futures.ThreadPoolExecutor(at_once) as pool:
        for name, returncode, output in pool.map(run, jobs):
            session.log(f"conformance --backend={name}: exit code {returncode}")
            print(output, flush=True)
            if returncode != 0:
                failed.append(name)
    if failed:
        session.error(f"conformance failed on {', '.join(failed)}")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Every unit test and every backend's conformance suite, in one environment."""
    install_backends(session, BACKENDS)
    # one pytest per folder: the packages' test files share basenames (test_backend.py, ...)
    test_dirs = ["packages/fitspec/tests", *(str((BACKENDS[b] / "tests").relative_to(ROOT)) for b in BACKENDS)]
    for test_dir in [*test_dirs, "conformance/meta"]:
        session.run("pytest", test_dir, "-p", "no:cacheprovider")
    run_conformance_suites(session, BACKENDS)
    session.run("python", "-m", "conformance.matrix")


@nox.session
def conformance(session: nox.Session) -> None:
    """Every backend's conformance suite, then the area x backend x device matrix."""
    install_backends(session, BACKENDS)
    run_conformance_suites(session, BACKENDS)
    session.run("python", "-m", "conformance.matrix")


for _backend in BACKENDS:

    @nox.session(name=f"tests-{_backend}")
    def tests_backend(session: nox.Session, backend=_backend) -> None:
        install_backends(session, [backend])
        session.run("pytest", "packages/fitspec/tests", str((BACKENDS[backend] / "tests").relative_to(ROOT)),
                    "-p", "no:cacheprovider", *session.posargs)

    @nox.session(name=f"conformance-{_backend}")
    def conformance_backend(session: nox.Session, backend=_backend) -> None:
        install_backends(session, [backend])
        run_conformance(session, backend)
        session.run("python", "-m", "conformance.matrix")


@nox.session
def golden(session: nox.Session) -> None:
    """Regenerate golden/ from the numpy reference, twice; the two runs must agree byte for byte."""
    install_backends(session, ["numpy"])
    session.run("python", "-m", "conformance.golden", "--check-determinism")


@nox.session
def crosscheck(session: nox.Session) -> None:
    """Compare the goldens with Keras 3 on its JAX backend (dev only; Keras is never a dependency)."""
    install_backends(session, ["numpy", "jax"])  # jax: keras.distribution against fitspec_jax's (SPEC 13.1)
    session.install("keras>=3", "jax")
    session.install("tensorflow")  # Keras's image / text directory datasets are tf.data (area namespace_remnants)
    session.run("python", "-m", "conformance.crosscheck", *session.posargs, env={"KERAS_BACKEND": "jax"})


@nox.session
def examples(session: nox.Session) -> None:
    """Every script in examples/ to the end, in one environment with every backend (so TensorFlow and PyTorch
    are there: the tf.data and DataLoader programs run on every backend). examples/guide_programs/ holds the
    modules the scripts share, not scripts."""
    install_backends(session, BACKENDS)
    for script in sorted((ROOT / "examples").glob("*.py")):
        session.run("python", str(script.relative_to(ROOT)))


# -- benchmarks (benchmarks/README.md): measure only; posargs go to pytest (`-- --device gpu`, a regression gate:
# `-- --benchmark-compare --benchmark-compare-fail=mean:25%`). Each run is also saved for the next comparison.
BENCH_REQUIREMENTS = ["pytest-benchmark", "matplotlib"]


def run_benchmarks(session: nox.Session, backend: str) -> None:
    session.run("pytest", "benchmarks", f"--backend={backend}", "-p", "no:cacheprovider", "--benchmark-autosave",
                *session.posargs)


def bench_results(session: nox.Session, backends) -> list[str]:
    """The JSON files the runs of `backends` wrote: benchmarks/results/<backend>-<device>.json, or --benchmark-json."""
    args = list(session.posargs)
    given = next((a.split("=", 1)[1] for a in args if a.startswith("--benchmark-json=")), None)
    if given is not None and len(backends) == 1:
        return [given]
    device = next((a.split("=", 1)[1] for a in args if a.startswith("--device=")), None)
    if device is None and "--device" in args[:-1]:
        device = args[args.index("--device") + 1]
    return [f"benchmarks/results/{backend}-{device or 'cpu'}.json" for backend in backends]


for _backend in BACKENDS:

    @nox.session(name=f"bench-{_backend}")
    def bench_backend(session: nox.Session, backend=_backend) -> None:
        """One backend's step-time benchmarks beside its hand-written loop; the table, the JSON and the PNG."""
        install_backends(session, [backend])
        session.install(*BENCH_REQUIREMENTS)
        run_benchmarks(session, backend)
        (results,) = bench_results(session, [backend])
        session.run("python", "-m", "benchmarks.report", results, f"--plot={results[:-len('.json')]}.png")


@nox.session
def bench(session: nox.Session) -> None:
    """Every backend's benchmarks, one after another in one environment, then one table and one PNG of them all."""
    backends = list(BACKENDS)
    install_backends(session, backends)
    session.install(*BENCH_REQUIREMENTS)
    for backend in backends:
        run_benchmarks(session, backend)
    session.run("python", "-m", "benchmarks.report", *bench_results(session, backends))
    session.run("python", "-m", "benchmarks.scaling")  # data-parallel samples/s, 1 against 2 replicas (SPEC 13)


@nox.session(name="conformance-distributed")
def conformance_distributed(session: nox.Session) -> None:
    """The area `distributed` on every backend (SPEC 13): data-parallel runs in subprocesses against one device,
    with 2 and 4 replicas, every layout and resume (each `conformance-<backend>` and CI run it with 2, without
    JAX's processes and TensorFlow's resume)."""
    install_backends(session, BACKENDS)
    for backend in BACKENDS:
        session.run("pytest", "conformance/test_distributed.py", f"--backend={backend}", "-p", "no:cacheprovider",
                    *session.posargs, env={"FITSPEC_REPLICAS": "2,4", "FITSPEC_DISTRIBUTED": "full"})
    session.run("python", "-m", "conformance.matrix")

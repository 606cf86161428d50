"""The GPU path in one command, for a machine that has torch and jax (with CUDA) and no network (SPEC 13.9).

    python -m conformance.gpu wheels [--python-version 3.11] [--platform manylinux2014_x86_64]   (here, online)
    python -m conformance.gpu run [--device gpu|cpu] [--backends jax,torch] [--no-install] [-- PYTEST ARGS]  (offline)

`wheels` builds the five fitspec packages into `wheels/` (git-ignored) and downloads the wheels of what the suite
needs beyond the frameworks (REQUIREMENTS), for the target's Python and platform. `run` installs them from
`wheels/` with `--no-index` into the running interpreter (the frameworks already there are kept), then runs the
conformance suite of every backend whose framework imports, on `--device` (a backend without that device is
skipped with its reason by the suite), then the area `distributed` (torch's processes use NCCL on CUDA), and
prints the matrix. It exits with the first failing suite's status, after running them all.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
WHEELS = ROOT / "wheels"
#: the fitspec packages, core first
PACKAGES = ("fitspec", "fitspec-numpy", "fitspec-jax", "fitspec-torch", "fitspec-tensorflow")
#: what the packages and the suite import beyond the frameworks (torch, jax, tensorflow are the machine's)
REQUIREMENTS = ("numpy>=1.26", "optree>=0.11", "safetensors>=0.4", "autograd>=1.7", "pytest>=8", "hypothesis>=6")
#: backend -> the module its framework is
FRAMEWORKS = {"numpy": "numpy", "jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}


def build_wheels(options) -> None:
    WHEELS.mkdir(exist_ok=True)
    for package in PACKAGES:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(WHEELS),
                        str(ROOT / "packages" / package)], check=True)
    target = ["--python-version", options.python_version, "--platform", options.platform, "--only-binary=:all:"]
    subprocess.run([sys.executable, "-m", "pip", "download", "-d", str(WHEELS), *target, *REQUIREMENTS], check=True)
    print(f"wheels in {WHEELS}: {len(list(WHEELS.glob('*.whl')))} files; copy the checkout with them to the "
          f"machine and run `python -m conformance.gpu run`.")


def install() -> None:
    """The fitspec packages and the suite's requirements from wheels/, offline; nothing else is touched."""
    wheels = sorted(str(w) for w in WHEELS.glob("fitspec*.whl"))
    if not wheels:
        sys.exit(f"conformance.gpu: no fitspec wheels in {WHEELS}: run `python -m conformance.gpu wheels` on a "
                 "machine with the network first.")
    names = [pathlib.Path(w).name.split("-")[0].replace("_", "-") for w in wheels]
    present = [n for n in names if n == "fitspec" or importlib.util.find_spec(
        FRAMEWORKS.get(n.removeprefix("fitspec-"), "numpy")) is not None]
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(WHEELS),
                    *REQUIREMENTS, *present], check=True)


def present_backends(asked: list[str]) -> list[str]:
    return [b for b in asked if importlib.util.find_spec(FRAMEWORKS[b]) is not None]


def run(options) -> int:
    if not options.no_install:
        install()
    backends = present_backends(options.backends.split(","))
    status = 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for backend in backends:
        done = subprocess.run([sys.executable, "-m", "pytest", *(options.pytest_args or ["conformance"]),
                               f"--backend={backend}", f"--device={options.device}", "-p", "no:cacheprovider", "-q"],
                              cwd=ROOT, env=env)
        status = status or done.returncode
    done = subprocess.run([sys.executable, "-m", "conformance.matrix"], cwd=ROOT, env=env)
    return status or done.returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.gpu", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    wheels = commands.add_parser("wheels", help="build and download the wheels (needs the network)")
    wheels.add_argument("--python-version", default=f"{sys.version_info.major}.{sys.version_info.minor}")
    wheels.add_argument("--platform", default="manylinux2014_x86_64")
    runner = commands.add_parser("run", help="install offline, run every present backend's suite")
    runner.add_argument("--device", choices=("cpu", "gpu"), default="gpu")
    runner.add_argument("--backends", default=",".join(FRAMEWORKS))
    runner.add_argument("--no-install", action="store_true", help="the packages are installed already")
    runner.add_argument("pytest_args", nargs="*", help="what pytest runs instead of the whole suite (after --)")
    options = parser.parse_args(argv)
    if options.command == "wheels":
        build_wheels(options)
        return 0
    return run(options)


if __name__ == "__main__":
    sys.exit(main())

"""Generates golden/ from fitspec-numpy in float64: `python -m conformance.golden [--check-determinism]`.

One JSON file per case. Floats are written by `repr` (shortest round-trip), keys sorted, so two
runs produce identical bytes; --check-determinism generates twice and fails if any byte differs.
The same bytes on any x86-64 machine: the reference runs on OpenBLAS's Haswell kernels, on one
thread (`BLAS_SETTINGS`), since OpenBLAS otherwise picks its kernels by CPU and AVX-512's sum in
another order (docs/SPEC.md 10.2).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile

from conformance.cases import CASES
from conformance.runner import run_case, to_json_ready

GOLDEN_DIR = pathlib.Path(__file__).resolve().parent.parent / "golden"
FORMAT_VERSION = 1
#: the environment the goldens are computed in; set before numpy loads (`main` restarts itself with it)
BLAS_SETTINGS = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"}


def blas_settings_missing() -> bool:
    """Whether this process runs without `BLAS_SETTINGS` on a machine where they apply (x86-64)."""
    x86 = platform.machine() in ("x86_64", "AMD64")
    return x86 and any(os.environ.get(k) != v for k, v in BLAS_SETTINGS.items())


def render(case) -> str:
    import fitspec_numpy as fs

    fs.config.set_floatx("float64")
    payload = {"format_version": FORMAT_VERSION, "case": case.name, "backend": "numpy", "dtype": "float64",
               **to_json_ready(run_case(fs, case))}
    return json.dumps(payload, sort_keys=True, indent=1) + "\n"


def write_atomically(path: pathlib.Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def load(case_name: str) -> dict:
    path = GOLDEN_DIR / f"{case_name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no golden file {path}; run `nox -s golden`")
    return json.loads(path.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check-determinism", action="store_true", help="generate twice and compare")
    args = parser.parse_args(argv)
    if blas_settings_missing():
        arguments = ["-m", "conformance.golden", *(["--check-determinism"] if args.check_determinism else [])]
        os.execve(sys.executable, [sys.executable, *arguments], {**os.environ, **BLAS_SETTINGS})
    GOLDEN_DIR.mkdir(exist_ok=True)
    first = {case.name: render(case) for case in CASES}
    if args.check_determinism:
        second = {case.name: render(case) for case in CASES}
        differing = [name for name in first if first[name] != second[name]]
        if differing:
            print(f"golden generation is not deterministic for: {differing}", file=sys.stderr)
            return 1
    expected_files = {f"{name}.json" for name in first}
    for stale in sorted(p for p in GOLDEN_DIR.glob("*.json") if p.name not in expected_files):
        stale.unlink()
        print(f"removed {stale.name} (no such case)")
    for name, text in first.items():
        path = GOLDEN_DIR / f"{name}.json"
        if not path.exists() or path.read_text() != text:
            write_atomically(path, text)
            print(f"wrote {path.name}")
    print(f"{len(first)} golden cases in {GOLDEN_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generates golden/ from fitspec-numpy in float64: `python -m conformance.golden [--check-determinism]`.

One JSON file per case. Floats are written by `repr` (shortest round-trip), keys sorted, so two
runs produce identical bytes; --check-determinism generates twice and fails if any byte differs.
The same bytes on any x86-64 machine with AVX2: the reference runs on OpenBLAS's Haswell kernels, on
one thread, and on numpy's AVX2 (X86_V3) loops (`REFERENCE_ENVIRONMENT`), since OpenBLAS and numpy
otherwise pick their kernels by CPU, and the AVX-512 ones sum in another order and round exp / log /
tanh differently (docs/SPEC.md 10.2).
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
#: the environment the goldens are computed in; set before numpy loads (`main` restarts itself with it). numpy
#: ignores a disabled feature the CPU lacks, so an AVX2 machine and an AVX-512 one both run the X86_V3 loops.
REFERENCE_ENVIRONMENT = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1",
                         "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}


def reference_environment_missing() -> bool:
    """Whether this process runs without `REFERENCE_ENVIRONMENT` on a machine where it applies (x86-64)."""
    x86 = platform.machine() in ("x86_64", "AMD64")
    return x86 and any(os.environ.get(k) != v for k, v in REFERENCE_ENVIRONMENT.items())


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
    if reference_environment_missing():
        arguments = ["-m", "conformance.golden", *(["--check-determinism"] if args.check_determinism else [])]
        os.execve(sys.executable, [sys.executable, *arguments], {**os.environ, **REFERENCE_ENVIRONMENT})
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

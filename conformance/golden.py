"""Generates golden/ from fitspec-numpy in float64: `python -m conformance.golden [--check-determinism]`.

One JSON file per case. Floats are written by `repr` (shortest round-trip), keys sorted, so two
runs on the same machine produce identical bytes; --check-determinism generates twice and fails
if any byte differs.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile

from conformance.cases import CASES
from conformance.runner import run_case, to_json_ready

GOLDEN_DIR = pathlib.Path(__file__).resolve().parent.parent / "golden"
FORMAT_VERSION = 1


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

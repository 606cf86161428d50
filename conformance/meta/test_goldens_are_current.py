"""golden/ holds what `nox -s golden` writes now, on any x86-64 machine (docs/SPEC.md 10.2)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from conformance.golden import BLAS_SETTINGS, GOLDEN_DIR

RENDER_ALL = """
import json
from conformance import golden
print(json.dumps({case.name: golden.render(case) for case in golden.CASES}))
"""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="the goldens' bytes are pinned on x86-64 (OpenBLAS's Haswell kernels); SPEC 10.2")
def test_every_golden_file_is_what_nox_s_golden_writes():
    root = GOLDEN_DIR.parent
    done = subprocess.run([sys.executable, "-c", RENDER_ALL], cwd=root, env={**os.environ, **BLAS_SETTINGS},
                          capture_output=True, text=True, check=True)
    rendered = json.loads(done.stdout)
    stale = sorted(name for name, text in rendered.items() if (GOLDEN_DIR / f"{name}.json").read_text() != text)
    assert not stale, f"these golden files are not what the reference computes now; run `nox -s golden`: {stale}"
    assert {p.stem for p in GOLDEN_DIR.glob("*.json")} == set(rendered)

"""golden/ holds what `nox -s golden` writes now, on any x86-64 machine (docs/SPEC.md 10.2)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from conformance.golden import GOLDEN_DIR, REFERENCE_ENVIRONMENT

RENDER_ALL = """
import json
from conformance import golden
print(json.dumps({case.name: golden.render(case) for case in golden.CASES}))
"""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="the goldens' bytes are pinned on x86-64 (OpenBLAS's Haswell kernels, numpy's X86_V3 "
                           "loops); SPEC 10.2")
def test_every_golden_file_is_what_nox_s_golden_writes():
    root = GOLDEN_DIR.parent
    done = subprocess.run([sys.executable, "-c", RENDER_ALL], cwd=root, env={**os.environ, **REFERENCE_ENVIRONMENT},
                          capture_output=True, text=True, check=True)
    rendered = json.loads(done.stdout)
    stale = sorted(name for name, text in rendered.items() if (GOLDEN_DIR / f"{name}.json").read_text() != text)
    assert not stale, f"these golden files are not what the reference computes now; run `nox -s golden`: {stale}"
    assert {p.stem for p in GOLDEN_DIR.glob("*.json")} == set(rendered)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="numpy's x86 dispatch only; SPEC 10.2")
def test_the_reference_environment_turns_off_numpy_avx512_loops():
    probe = "from numpy._core._multiarray_umath import __cpu_features__ as f; print(f['X86_V4'], f['AVX512_ICL'])"
    done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **REFERENCE_ENVIRONMENT},
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]

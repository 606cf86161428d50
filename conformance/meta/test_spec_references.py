"""docs/SPEC.md names the tests that check each rule: every name it gives must exist."""

from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(?:(packages/[\w\-/]+\.py)::|)(test_\w+)::(test_\w+)`|`(packages/[\w\-/]+\.py)::(test_\w+)`")
CASE = re.compile(r"golden cases? `(\w+)`")


def functions_defined_in(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_named_in_the_spec_exists():
    spec = (ROOT / "docs" / "SPEC.md").read_text()
    missing, matches = [], list(REFERENCE.finditer(spec))
    assert len(matches) > 50, "the reference pattern no longer finds the spec's test ids"
    for match in matches:
        _, module, function, package_file, package_function = match.groups()
        if package_file:
            path, function = ROOT / package_file, package_function
        else:
            path = ROOT / "conformance" / f"{module}.py"
        if not path.exists() or function not in functions_defined_in(path):
            missing.append(match.group(0))
    assert missing == [], f"docs/SPEC.md names tests that do not exist: {missing}"


def test_every_golden_case_named_in_the_spec_exists():
    from conformance.cases import BY_NAME

    spec = (ROOT / "docs" / "SPEC.md").read_text()
    named = set(CASE.findall(spec))
    assert named and named <= set(BY_NAME), f"unknown golden cases in docs/SPEC.md: {sorted(named - set(BY_NAME))}"

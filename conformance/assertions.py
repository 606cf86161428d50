"""Assertions with messages that say where two results part: the key, the index, both values."""

from __future__ import annotations

import numpy as np
import pytest


def assert_close(actual, expected, rtol: float, atol: float, what: str) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape} != expected {expected.shape}")
    diff = np.abs(actual - expected)
    bound = atol + rtol * np.abs(expected)
    bad = ~(diff <= bound)
    if bad.any():
        index = np.unravel_index(int(np.argmax(np.where(bad, diff - bound, -np.inf))), actual.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ beyond rtol={rtol:g}, atol={atol:g}; "
            f"worst at index {tuple(int(i) for i in index)}: actual {float(actual[index])!r}, "
            f"expected {float(expected[index])!r} "
            f"(|diff| = {diff[index]:.3e})"
        )


def assert_weights_identical(actual: list, expected: list, dtype: str, what: str) -> None:
    """Bit-identical after casting the float64 golden to the run's dtype."""
    if len(actual) != len(expected):
        raise AssertionError(f"{what}: {len(actual)} weights != expected {len(expected)}")
    for i, (a, e) in enumerate(zip(actual, expected)):
        a = np.asarray(a)
        e = np.asarray(e, dtype=np.float64).astype(dtype)
        if a.shape != e.shape or not np.array_equal(a.astype(dtype), e):
            assert_close(a, e, 0.0, 0.0, f"{what}[{i}]")


def assert_refused_by_name(make, where: str, argument: str) -> None:
    """`make()` raises fitspec's bad-argument error: ValueError "<where>: argument `<argument>` expected ...;
    received ..." (docs/SPEC.md 9.)."""
    with pytest.raises(ValueError, match=rf"{where}: argument `{argument}` expected .*; received"):
        make()

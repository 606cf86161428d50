"""Meta-tests of the suite's own utilities: they must be able to fail."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conformance import matrix, tolerances
from conformance.assertions import assert_close, assert_weights_identical
from conformance.cases import CASES, Data
from conformance.conftest import for_precisions, parse_xfails, stale_xfails


def test_assert_close_reports_the_worst_entry():
    with pytest.raises(AssertionError, match=r"1 of 3 values.*index \(1,\): actual 2\.5, expected 2\.0"):
        assert_close([1.0, 2.5, 3.0], [1.0, 2.0, 3.0], 1e-6, 1e-9, "x")
    assert_close([1.0, 2.0 + 1e-12], [1.0, 2.0], 1e-9, 0.0, "x")


def test_assert_close_rejects_shape_mismatch_and_nan():
    with pytest.raises(AssertionError, match="shape"):
        assert_close(np.zeros(2), np.zeros(3), 1, 1, "x")
    with pytest.raises(AssertionError):
        assert_close([np.nan], [1.0], 1, 1, "x")


def test_initial_weights_must_match_bit_for_bit_after_the_cast():
    golden = [np.array([0.1, 0.2])]
    assert_weights_identical([golden[0].astype("float32")], golden, "float32", "w")
    with pytest.raises(AssertionError):
        assert_weights_identical([golden[0].astype("float32") + np.float32(1e-7)], golden, "float32", "w")


def test_widening_needs_a_reason_and_only_widens():
    assert tolerances.tolerance("float64", "cpu") == tolerances.TABLE[("float64", "cpu")]
    assert tolerances.tolerance("float32", "cpu", {"float32": (1e-2, 0.0, "reason")})[0] == 1e-2
    assert tolerances.tolerance("float32", "cpu", {"float32": (0.0, 0.0, "reason")}) == tolerances.TABLE[
        ("float32", "cpu")]
    with pytest.raises(ValueError, match="reason"):
        tolerances.tolerance("float32", "cpu", {"float32": (1e-2, 0.0, "")})


def test_case_names_are_unique_and_data_is_deterministic():
    assert len({c.name for c in CASES}) == len(CASES)
    data = Data(samples=5, x_shape=(2,), target="sparse", classes=3, seed=4)
    np.testing.assert_array_equal(data.make()["y"], data.make()["y"])


def test_matrix_counts_outcomes_per_area_and_backend(tmp_path):
    report = {"backend": "numpy", "device": "cpu", "tests": {
        "conformance/test_losses.py::a[float64]": "passed",
        "conformance/test_losses.py::b[float64]": "failed",
        "conformance/test_golden.py::c": "xfailed",
    }}
    (tmp_path / "numpy-cpu.json").write_text(json.dumps(report))
    text = matrix.render(matrix.load_reports(tmp_path))
    assert "losses | 1 passed, 1 failed" in text
    assert "golden | 0 passed, 1 xfailed" in text


def test_xfail_entries_need_a_reason_and_stale_ones_are_found():
    text = "# comment\n\ntest_golden.py::test_history[a-float32]  float32 drift on this backend\n"
    entries = parse_xfails(text, "x.txt")
    assert entries == {"test_golden.py::test_history[a-float32]": "float32 drift on this backend"}
    assert stale_xfails(entries, ["test_golden.py::test_history[b-float32]"]) == list(entries)
    assert stale_xfails(entries, ["test_losses.py::test_x"]) == []
    assert stale_xfails(entries, list(entries)) == []
    with pytest.raises(pytest.UsageError, match="reason"):
        parse_xfails("test_golden.py::test_history[a-float32]\n", "x.txt")


def test_xfail_entries_of_a_precision_not_selected_are_not_stale():
    entries = {"test_a.py::test_x[float64]": "r", "test_a.py::test_y[float32-Adam]": "r", "test_a.py::test_z": "r"}
    assert for_precisions(entries, "both") == entries
    assert list(for_precisions(entries, "float32")) == ["test_a.py::test_y[float32-Adam]", "test_a.py::test_z"]
    assert list(for_precisions(entries, "float64")) == ["test_a.py::test_x[float64]", "test_a.py::test_z"]

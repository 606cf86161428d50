"""Every golden case on the backend under test against the float64 reference's goldens."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.assertions import assert_close, assert_weights_identical
from conformance.cases import CASES
from conformance.golden import load
from conformance.runner import run_case
from conformance.tolerances import tolerance

_RESULTS: dict = {}


TRAINING = [c for c in CASES if c.fit is not None]
EVALUATING = [c for c in CASES if c.evaluate]
PREDICTING = [c for c in CASES if c.predict]


def cases(selection):
    return pytest.mark.parametrize("case", selection, ids=lambda c: c.name)


@pytest.fixture
def outcome(fs, case, precision, device):
    """(result on this backend, golden, (rtol, atol)); each case runs once per precision."""
    key = (fs.backend.name, device, precision, case.name)
    if key not in _RESULTS:
        _RESULTS[key] = run_case(fs, case)
    return _RESULTS[key], load(case.name), tolerance(precision, device, case.widen)


@cases(CASES)
def test_initial_weights_are_bit_identical(outcome, precision):
    result, golden, _ = outcome
    assert_weights_identical(result["initial_weights"], golden["initial_weights"], precision, "initial_weights")


@cases(TRAINING)
def test_per_step_losses(outcome, case):
    result, golden, (rtol, atol) = outcome
    assert len(result["step_losses"]) == len(golden["step_losses"])
    assert_close(result["step_losses"], golden["step_losses"], rtol, atol, "step_losses")


@cases(TRAINING)
def test_history(outcome, case):
    result, golden, (rtol, atol) = outcome
    assert sorted(result["history"]) == sorted(golden["history"])
    for key, values in golden["history"].items():
        assert_close(result["history"][key], values, rtol, atol, f"history[{key!r}]")


@cases(CASES)
def test_final_weights(outcome):
    result, golden, (rtol, atol) = outcome
    assert len(result["final_weights"]) == len(golden["final_weights"])
    for i, (actual, expected) in enumerate(zip(result["final_weights"], golden["final_weights"])):
        assert_close(actual, expected, rtol, atol, f"final_weights[{i}]")


@cases(EVALUATING)
def test_evaluate(outcome, case):
    result, golden, (rtol, atol) = outcome
    assert sorted(result["evaluate"]) == sorted(golden["evaluate"])
    for key, value in golden["evaluate"].items():
        assert_close(result["evaluate"][key], value, rtol, atol, f"evaluate[{key!r}]")


@cases(PREDICTING)
def test_predict(outcome, case, precision):
    result, golden, (rtol, atol) = outcome
    actual = result["predict"] if isinstance(result["predict"], list) else [result["predict"]]
    expected = golden["predict"] if isinstance(result["predict"], list) else [golden["predict"]]
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert np.asarray(a).dtype == np.dtype(precision)
        assert_close(a, e, rtol, atol, f"predict[{i}]")

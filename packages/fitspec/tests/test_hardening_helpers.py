"""The small rules under the callbacks' batch counting, the fit state and the file format's reader."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fitspec.callbacks.batch_frequency import BatchFrequency
from fitspec.fit_state import FitState
from fitspec.foreign_arrays import framework_of, to_numpy
from fitspec.saving import file_format


@pytest.mark.parametrize(("frequency", "ends", "due"), [
    (3, [0, 1, 2, 3, 4, 5, 6], [2, 5]),       # one batch per execution: after batches 3 and 6
    (3, [3, 7, 11], [3, 7, 11]),              # four per execution: every execution crosses 3
    (6, [3, 7, 11, 15], [7, 15]),             # the count restarts at each save (Keras 3)
    (4, [3, 7], [3, 7]),
])
def test_batch_frequency_is_due_at_the_first_execution_end_past_n_batches(frequency, ends, due):
    counter = BatchFrequency(frequency)
    counter.start_epoch()
    assert [batch for batch in ends if counter.due(batch)] == due
    assert counter.total == ends[-1] + 1


def test_batch_frequency_counts_a_resumed_epoch_from_its_first_batch_run():
    counter = BatchFrequency(4)
    state = FitState(epoch=0, shuffle_seed=0)
    state.advance(0, 5)
    counter.start_epoch(state)
    assert not counter.due(7) and counter.due(9) and counter.total == 5


def test_the_fit_state_validates_what_it_resumes_from():
    state = FitState(epoch=0, shuffle_seed=1, steps_per_epoch=8)
    state.advance(2, 3)
    assert state.snapshot() == {"epoch": 2, "steps_done": 3, "shuffle_seed": 1}
    for bad in ({"epoch": 1, "steps_done": 9, "shuffle_seed": 1}, {"epoch": True, "steps_done": 0, "shuffle_seed": 1},
                {"epoch": 1, "steps_done": 0, "shuffle_seed": 2**63}, {"epoch": 1, "steps_done": 0}, "state"):
        with pytest.raises(ValueError, match=r"^FitState.resume_from: argument `fit_state` expected"):
            state.resume_from(bad)
    assert not state.resumed
    state.resume_from({"epoch": 4, "steps_done": 8, "shuffle_seed": 7})
    assert state.resumed and (state.epoch, state.steps_done, state.shuffle_seed) == (4, 8, 7)


def test_json_depth_ignores_brackets_inside_strings():
    assert file_format.json_depth('{"a": [1, {"b": "[[[["}]}') == 3
    assert file_format.json_depth('"]]]" ') == 0
    assert file_format.json_depth("[" * 70 + "]" * 70) == 70


def test_tensors_of_other_frameworks_are_recognised_by_module_without_importing_them():
    assert framework_of(np.zeros(2)) is None

    class FakeTorch:  # a stand-in whose type says it comes from torch
        pass

    FakeTorch.__module__ = "torch"
    assert framework_of(FakeTorch()) == "torch"
    np.testing.assert_array_equal(to_numpy([1.0, 2.0]), [1.0, 2.0])


def test_only_the_temporaries_of_writers_that_no_longer_run_are_removed(tmp_path):
    target = tmp_path / "m.keras"
    mine = tmp_path / f".m.keras.{os.getpid()}.0123abcd.tmp"
    gone = tmp_path / ".m.keras.999999999.0123abcd.tmp"  # no process has this id
    other = tmp_path / ".n.keras.999999999.0123abcd.tmp"
    for path in (mine, gone, other):
        path.write_bytes(b"partial")
    file_format.remove_stale_temporaries(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])

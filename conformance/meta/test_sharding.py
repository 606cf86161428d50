"""`--shard I/N` (conformance/sharding.py) and the matrix of a split run (conformance/matrix.py)."""

from __future__ import annotations

import json

import pytest

from conformance import matrix, sharding

IDS = [
    *(f"conformance/test_golden.py::test_{check}[{precision}-case{i}]"
      for check in ("history", "final_weights") for precision in ("float32", "float64") for i in range(5)),
    *(f"conformance/test_{module}.py::test_{i}" for module in ("losses", "metrics", "layers") for i in range(4)),
]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_shards_of_a_suite_are_disjoint_and_cover_it(count):
    parts = [sharding.keep(IDS, i, count, seconds={}) for i in range(1, count + 1)]
    assert set().union(*parts) == set(IDS)
    assert sum(len(p) for p in parts) == len(IDS)


def test_a_golden_run_and_a_module_stay_in_one_shard():
    parts = [sharding.keep(IDS, i, 2, seconds={}) for i in (1, 2)]
    for part in parts:
        for nodeid in part:
            partner = nodeid.replace("test_history", "test_final_weights") if "golden" in nodeid else \
                nodeid.rsplit("::", 1)[0] + "::test_0"
            assert partner in part


def test_groups_go_longest_first_to_the_least_loaded_shard():
    seconds = {"a": 10.0, "b": 6.0, "c": 5.0, "d": 1.0}
    assert sharding.assign(seconds, 2, seconds) == {"a": 0, "b": 1, "c": 1, "d": 0}


def test_weights_come_from_a_durations_log():
    log = ("12.50s call     conformance/test_golden.py::test_history[float32-guide]\n"
           "0.50s setup    conformance/test_golden.py::test_history[float32-guide]\n"
           "3.00s call     conformance/test_losses.py::test_x[1]\n")
    assert sharding.weights_from_durations(log) == {"test_golden.py[float32-guide]": 13.0, "test_losses.py": 3.0}


@pytest.mark.parametrize("option", ["0/2", "3/2", "1", "a/b", ""])
def test_a_bad_shard_is_refused_naming_the_option(option):
    with pytest.raises(ValueError, match="--shard: expected I/N"):
        sharding.parse(option)


def test_the_matrix_merges_a_split_run_and_forgets_a_run_split_otherwise(tmp_path):
    def write(name, tests):
        path = tmp_path / name
        matrix.remove_other_splits(tmp_path, path)
        path.write_text(json.dumps({"backend": "jax", "device": "cpu", "tests": tests}))

    write("jax-cpu.json", {"a": "passed", "b": "failed"})
    write("jax-cpu-shard1of2.json", {"a": "passed"})
    write("jax-cpu-shard2of2.json", {"b": "passed"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jax-cpu-shard1of2.json", "jax-cpu-shard2of2.json"]
    (report,) = matrix.load_reports(tmp_path)
    assert report["tests"] == {"a": "passed", "b": "passed"}
    write("jax-cpu.json", {"a": "passed"})
    assert [p.name for p in tmp_path.iterdir()] == ["jax-cpu.json"]

"""`--shard I/N`: one backend's suite split into N parts of about equal time, run as N pytest processes.

A test's group is its module, or, in test_golden.py, its (precision, case): the tests of one golden run share
the run (test_golden.outcome), so they stay together. Groups go to the shard with the least time so far,
longest first, by the seconds in `shard_weights.json` (measured on JAX, the slowest suite: `python -m
conformance.sharding DURATIONS_LOG` rewrites it from a `pytest --durations=0` log); a group it does not list
weighs DEFAULT_SECONDS per test. The split depends only on the collected ids and the file, so N processes agree
on it.
"""

from __future__ import annotations

import collections
import json
import pathlib
import re
import sys

WEIGHTS_FILE = pathlib.Path(__file__).resolve().parent / "shard_weights.json"
DEFAULT_SECONDS = 1.0


def parse(option: str) -> tuple[int, int]:
    """"I/N" -> (I, N) with 1 <= I <= N; a usage error names the option otherwise."""
    match = re.fullmatch(r"(\d+)/(\d+)", option or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard: expected I/N with 1 <= I <= N, such as 1/2; received {option!r}")
    return int(match[1]), int(match[2])


def group_of(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if module == "test_golden.py" and "[" in nodeid:
        return f"{module}[{nodeid.rsplit('[', 1)[1].rstrip(']')}]"
    return module


def weights() -> dict[str, float]:
    return json.loads(WEIGHTS_FILE.read_text()) if WEIGHTS_FILE.exists() else {}


def assign(groups, count: int, seconds: dict[str, float]) -> dict[str, int]:
    """group -> shard index in [0, count): longest first to the least loaded shard (ties by name, then index).
    `groups` holds a group once per test; an unlisted group weighs DEFAULT_SECONDS per test."""
    tests = collections.Counter(groups)
    weight = {g: seconds.get(g, DEFAULT_SECONDS * n) for g, n in tests.items()}
    loads = [0.0] * count
    out = {}
    for group in sorted(weight, key=lambda g: (-weight[g], g)):
        shard = min(range(count), key=lambda i: (loads[i], i))
        out[group] = shard
        loads[shard] += weight[group]
    return out


def keep(nodeids, index: int, count: int, seconds: dict[str, float] | None = None) -> set[str]:
    """The ids of shard `index` (1-based) of `count`."""
    seconds = weights() if seconds is None else seconds
    shards = assign([group_of(n) for n in nodeids], count, seconds)
    return {n for n in nodeids if shards[group_of(n)] == index - 1}


def weights_from_durations(log: str) -> dict[str, float]:
    """Seconds per group from the `--durations=0` lines of a pytest log (setup, call and teardown summed)."""
    totals: dict[str, float] = collections.defaultdict(float)
    for line in log.splitlines():
        match = re.match(r"\s*([\d.]+)s (?:call|setup|teardown)\s+(\S+)", line)
        if match:
            totals[group_of(match[2])] += float(match[1])
    return {group: round(value, 2) for group, value in sorted(totals.items())}


if __name__ == "__main__":
    measured = weights_from_durations(pathlib.Path(sys.argv[1]).read_text())
    WEIGHTS_FILE.write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n")
    print(f"{WEIGHTS_FILE}: {len(measured)} groups, {sum(measured.values()):.0f} s")

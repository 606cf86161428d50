"""The printed matrix: area x backend x device -> passed / failed / xfailed (skipped when absent).

`python -m conformance.matrix` renders every report in conformance/reports/; exit status 1 if
any test failed.
"""

from __future__ import annotations

import collections
import json
import pathlib
import sys

REPORT_DIR = pathlib.Path(__file__).resolve().parent / "reports"


def area_of(nodeid: str) -> str:
    """`conformance/test_losses.py::test_x[...]` -> `losses`."""
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return module.removeprefix("test_").removesuffix(".py")


def tally(report: dict) -> dict[str, collections.Counter]:
    areas: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for nodeid, outcome in report["tests"].items():
        areas[area_of(nodeid)][outcome] += 1
    return areas


def cell(counts: collections.Counter) -> str:
    parts = [f"{counts['passed']} passed"]
    for outcome in ("failed", "xfailed", "skipped"):
        if counts[outcome]:
            parts.append(f"{counts[outcome]} {outcome}")
    return ", ".join(parts)


def render(reports: list[dict]) -> str:
    columns = [(r["backend"], r["device"]) for r in reports]
    tallies = {(r["backend"], r["device"]): tally(r) for r in reports}
    areas = sorted({a for t in tallies.values() for a in t})
    headers = ["area"] + [f"{b}/{d}" for b, d in columns]
    rows = [[area] + [cell(tallies[c].get(area, collections.Counter())) for c in columns] for area in areas]
    totals = ["total"]
    for c in columns:
        total = collections.Counter()
        for counts in tallies[c].values():
            total.update(counts)
        totals.append(cell(total))
    rows.append(totals)
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda values: " | ".join(str(v).ljust(w) for v, w in zip(values, widths))
    rule = "-+-".join("-" * w for w in widths)
    return "\n".join(["conformance matrix (area x backend/device)", line(headers), rule,
                      *(line(r) for r in rows[:-1]), rule, line(rows[-1])])


def report_name(backend: str, device: str, shard: str | None = None) -> str:
    """`jax-cpu.json`; a shard's part `jax-cpu-shard1of2.json`."""
    if shard is None:
        return f"{backend}-{device}.json"
    index, count = shard.split("/")
    return f"{backend}-{device}-shard{index}of{count}.json"


def remove_other_splits(directory: pathlib.Path, path: pathlib.Path) -> None:
    """Before `path` is written: the reports of the same backend and device from a run split otherwise (whole, or
    in another number of shards), which would count its tests twice."""
    backend_device = path.name.split("-shard")[0].removesuffix(".json")
    count = path.name.split("of")[-1].removesuffix(".json") if "-shard" in path.name else None
    for other in directory.glob(f"{backend_device}*.json"):
        other_count = other.name.split("of")[-1].removesuffix(".json") if "-shard" in other.name else None
        if other.name.split("-shard")[0].removesuffix(".json") == backend_device and other_count != count:
            other.unlink(missing_ok=True)


def load_reports(directory: pathlib.Path = REPORT_DIR) -> list[dict]:
    """One report per backend and device: a shard's parts merged."""
    merged: dict[tuple[str, str], dict] = {}
    for path in sorted(directory.glob("*.json")):
        report = json.loads(path.read_text())
        key = (report["backend"], report["device"])
        merged.setdefault(key, {"backend": key[0], "device": key[1], "tests": {}})["tests"].update(report["tests"])
    return [merged[key] for key in sorted(merged)]  # the registry's order: by name


def main() -> int:
    reports = load_reports()
    if not reports:
        print(f"no conformance reports in {REPORT_DIR}; run `nox -s conformance`", file=sys.stderr)
        return 1
    print(render(reports))
    failed = any(outcome == "failed" for r in reports for outcome in r["tests"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

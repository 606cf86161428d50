"""The summary table: per backend and model, native per-step time beside fit()'s, and their ratio.

    python -m benchmarks.report [results/*.json ...]     (default: every benchmarks/results/*.json)

Reads pytest-benchmark JSON (or the dicts of a running session), takes each benchmark's fastest
call (`--stat min`, the default: the call least disturbed by other processes on a shared machine;
or median / mean) divided by its steps per call, prints the table and writes the PNG plot.
"""

from __future__ import annotations

import argparse
import json
import pathlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
STATS = ("min", "median", "mean")
#: the main table's columns: (heading, role); the ratios divide by the "native" role.
COLUMNS = (("native", "native"), ("fit spe=1", "fit1"), ("fit spe=8", "fit8"), ("native logs/epoch", "native_async"),
           ("fit jit*", "fit1_jit"), ("native jit", "native_jit"), ("train_on_batch", "train_on_batch"),
           ("keras spe=1", "keras1"), ("fit random=native", "fit1_native_random"))


def per_step(bench: dict, stat: str = "min") -> float:
    """Seconds per step: `stat` over the timed calls of one call's time, divided by the steps of a call."""
    return bench["stats"][stat] / bench["extra_info"]["steps"]


def groups(benchmarks: list[dict]) -> dict[tuple[str, str, str], dict[str, dict]]:
    """(backend, device, model) -> {role: benchmark}, in the order first seen."""
    out: dict = {}
    for bench in benchmarks:
        info = bench["extra_info"]
        out.setdefault((info["backend"], info["device"], info["model"]), {})[info["role"]] = bench
    return out


def ratio(by_role: dict, role: str, base: str = "native", stat: str = "min") -> float | None:
    if role not in by_role or base not in by_role:
        return None
    return per_step(by_role[role], stat) / per_step(by_role[base], stat)


def _us(bench, stat: str) -> str:
    return f"{per_step(bench, stat) * 1e6:.1f}" if bench else "-"


def _x(value) -> str:
    return f"{value:.2f}" if value is not None else "-"


def format_table(benchmarks: list[dict], stat: str = "min") -> str:
    """The main table (microseconds per step) with fit/native ratios."""
    head = ["backend", "device", "model", *(f"{h} us" for h, _ in COLUMNS), "fit1/native", "fit8/native",
            "fit1/native-logs/epoch", "fit1/fit1-random=native"]
    lines = [head]
    for (backend, device, model), by_role in groups(benchmarks).items():
        lines.append([backend, device, model, *(_us(by_role.get(role), stat) for _, role in COLUMNS),
                      _x(ratio(by_role, "fit1", stat=stat)), _x(ratio(by_role, "fit8", stat=stat)),
                      _x(ratio(by_role, "fit1", "native_async", stat)),
                      _x(ratio(by_role, "fit1", "fit1_native_random", stat))])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    text = ["  ".join(cell.rjust(w) if i > 2 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            for row in lines]
    text.insert(1, "-" * len(text[0]))
    notes = (f"us = microseconds per step ({stat} over timed calls of one epoch / steps); ratios < 1: faster than "
             "native. fit jit* = fit spe=1 with the backend's non-default jit_compile (JAX: False = eager; "
             "TensorFlow on CPU: True = XLA; torch: True = torch.compile). fit random=native = fit spe=1 with "
             "fs.config.set_random_implementation('native') (models with dropout).")
    return "\n".join([*text, notes])


def format_details(benchmarks: list[dict], stat: str = "min") -> str:
    """Every variant of every group: microseconds per step, steps per second, ratio to the native loop."""
    lines = []
    for (backend, device, model), by_role in groups(benchmarks).items():
        native = by_role.get("native")
        lines.append(f"{backend}/{model} ({device})")
        for bench in by_role.values():
            name = bench["extra_info"]["variant"]
            seconds = per_step(bench, stat)
            vs = f"{seconds / per_step(native, stat):6.2f}x native" if native else ""
            lines.append(f"  {name:32s} {seconds * 1e6:10.1f} us/step {1 / seconds:10.0f} steps/s  {vs}")
    return "\n".join(lines)


def load(paths) -> tuple[list[dict], list[dict]]:
    """(every benchmark, every file's machine_info with its run's load averages) of the JSON files."""
    benchmarks, machines = [], []
    for path in paths:
        data = json.loads(pathlib.Path(path).read_text())
        benchmarks.extend(data["benchmarks"])
        info = data["machine_info"]
        info.setdefault("fitspec", {}).update(data.get("fitspec_run", {}))
        machines.append(info)
    return benchmarks, machines


def format_machines(machines: list[dict]) -> str:
    """One line per run: backend, device, CPU, threads, versions and the load average around the run."""
    lines = []
    for info in machines:
        fitspec = info.get("fitspec", {})
        versions = ", ".join(f"{k} {v}" for k, v in fitspec.get("versions", {}).items())
        cpu = f"{info.get('cpu', {}).get('brand_raw')}, {fitspec.get('cpu_count')} CPUs"
        lines.append(f"{fitspec.get('backend')} on {fitspec.get('device')} ({cpu}, {fitspec.get('threads')} thread(s) "
                     f"per pool, pinned to {fitspec.get('cpus', 'all')} CPU(s)): {versions}; "
                     f"load average at start {fitspec.get('loadavg_start')}, at end "
                     f"{fitspec.get('loadavg_end')}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=pathlib.Path, help="pytest-benchmark JSON files")
    parser.add_argument("--plot", type=pathlib.Path, default=RESULTS / "steps_per_second.png")
    parser.add_argument("--details", action="store_true", help="also list every variant of every group")
    parser.add_argument("--stat", choices=STATS, default="min", help="which statistic of the timed calls")
    args = parser.parse_args(argv)
    if not args.paths and not list(RESULTS.glob("*.json")):
        raise SystemExit(f"no results: run `nox -s bench` (or pytest benchmarks --backend ...) first; looked in "
                         f"{RESULTS}")
    paths = args.paths or sorted(RESULTS.glob("*.json"))
    for path in [p for p in paths if not p.exists()]:
        print(f"{path}: absent (pytest-benchmark writes no JSON when every benchmark was skipped, e.g. for an "
              "absent device: see that run's skip reasons); left out")
        paths.remove(path)
    if not paths:
        return
    benchmarks, machines = load(paths)
    print(format_machines(machines))
    timers = sorted({b.get("options", {}).get("timer", "?") for b in benchmarks})
    print(f"timer: {', '.join(timers)}")
    print(format_table(benchmarks, args.stat))
    if args.details:
        print(format_details(benchmarks, args.stat))
    from benchmarks import plot

    plot.write_png(benchmarks, args.plot, args.stat)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()

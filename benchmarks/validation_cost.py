"""What fit()'s data checks cost, as a share of one epoch of each bench model (docs/SPEC.md 9.1).

    python -m benchmarks.validation_cost --backend jax [--steps 128] [--repeats 15]

The checks are timed alone (the value checks of x and y, then the inputs and targets against the
model), and the epoch is one `fit(..., epochs=1)` of the benchmarks (benchmarks.workloads); each
figure is the minimum over `--repeats` calls, with the benchmarks' threads and CPU pinning.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time

from benchmarks.conftest import pin_cpus
from benchmarks.environment import thread_limits


def minimum_seconds(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(fs, spec, steps: int, steps_per_execution: int, repeats: int) -> tuple[float, float]:
    """(seconds of one fit epoch, seconds of its data checks), each the minimum over `repeats` calls."""
    from benchmarks.workloads import sync_fitspec
    from fitspec.data import ArrayDataset, check_values
    from fitspec.data_adapters import ArrayAdapter
    from fitspec.data_checks import DataCheck

    x, y = spec.data(steps, fs.backend.floatx())
    model = spec.build(fs, steps_per_execution=steps_per_execution)

    def epoch():
        model.fit(x, y, batch_size=spec.batch_size, epochs=1, verbose=0, shuffle=True)
        sync_fitspec(fs, "cpu", model)

    def checks():
        check_values(x, "x", "fit")
        check_values(y, "y", "fit")
        check = DataCheck(model, adapter, "fit")
        check.inputs()
        check.targets()

    epoch()  # compiles, builds, matches the metrics
    adapter = ArrayAdapter(ArrayDataset(x, y), spec.batch_size, True, 0)
    return minimum_seconds(epoch, repeats), minimum_seconds(checks, repeats * 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    os.environ.update(thread_limits(1))
    pin_cpus(1)
    from benchmarks.models import MODELS

    fs = importlib.import_module(f"fitspec_{args.backend}")
    print(f"{'backend':<11}{'model':<9}{'spe':>4}{'epoch ms':>10}{'checks ms':>11}{'share':>8}")
    for spec in MODELS.values():
        if spec.missing_layer(fs):
            continue
        for spe in (1, 8):
            epoch_s, checks_s = measure(fs, spec, args.steps, spe, args.repeats)
            print(f"{args.backend:<11}{spec.name:<9}{spe:>4}{epoch_s * 1e3:>10.2f}{checks_s * 1e3:>11.3f}"
                  f"{checks_s / epoch_s:>8.2%}")


if __name__ == "__main__":
    main()

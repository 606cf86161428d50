"""Where fit()'s time per step goes: cProfile of warm fit() epochs, each function's time in microseconds per step.

    python -m benchmarks.profile_fit --backend jax [--model guide] [--spe 1] [--steps 512] [--epochs 3] [--top 25]

The model, data and fit() call are the benchmark's (benchmarks.models, benchmarks.workloads); a
warm-up fit compiles first. cProfile's own cost inflates Python-heavy functions (roughly 2x), so
read the figures as shares, and the benchmark's table for absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

from benchmarks.environment import thread_limits


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, help="an installed backend (fitspec.backend_registry)")
    parser.add_argument("--model", default="guide")
    parser.add_argument("--spe", type=int, default=1, help="steps_per_execution")
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "True", "False"))
    parser.add_argument("--steps", type=int, default=512, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="profiled epochs (one fit() call each)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--threads", type=int, default=1, help="as the benchmarks' --threads")
    args = parser.parse_args(argv)
    if args.threads > 0:
        os.environ.update(thread_limits(args.threads))
    from benchmarks.models import MODELS
    from fitspec import backend_registry

    if args.backend not in backend_registry.names():
        parser.error(f"argument --backend: expected one of {backend_registry.names()}; received {args.backend!r}")
    fs = backend_registry.load(args.backend)
    spec = MODELS[args.model]
    jit = {"auto": "auto", "True": True, "False": False}[args.jit_compile]
    model = spec.build(fs, steps_per_execution=args.spe, jit_compile=jit)
    x, y = spec.data(args.steps, fs.backend.floatx())

    def run():
        model.fit(x, y, batch_size=spec.batch_size, epochs=1, verbose=0, shuffle=True)

    run()
    run()
    start = time.perf_counter()
    run()
    unprofiled = (time.perf_counter() - start) / args.steps
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.epochs):
        run()
    profiler.disable()
    steps = args.steps * args.epochs
    stats = pstats.Stats(profiler)
    print(f"{args.backend}/{args.model} spe={args.spe} jit_compile={args.jit_compile}: {unprofiled * 1e6:.1f} us/step "
          f"unprofiled; profile of {steps} steps, in microseconds per step ({args.sort}):")
    print(f"{'tottime':>9s} {'cumtime':>9s} {'calls/step':>10s}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2 if args.sort == "tottime" else 3], reverse=True)
    for (filename, line, name), (_, calls, tottime, cumtime, _) in rows[: args.top]:
        where = filename.split("site-packages/")[-1].split("/src/")[-1]
        per_step = f"{tottime / steps * 1e6:9.1f} {cumtime / steps * 1e6:9.1f} {calls / steps:10.2f}"
        print(f"{per_step}  {where}:{line}({name})")


if __name__ == "__main__":
    main()

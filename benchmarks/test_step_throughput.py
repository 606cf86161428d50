"""Per-step time of fit(), train_on_batch and predict() beside a hand-written loop, per backend and model.

One pytest-benchmark group per backend/model holds every figure of that model, the native loop's
among them. A timed call is one epoch of `--steps` batches; `--warmup-calls` untimed calls run
first, so compilation (jit, tf.function, XLA, torch.compile) is never timed. This module measures
only: it asserts no time.
"""

from __future__ import annotations

import os

import pytest

from benchmarks import workloads
from benchmarks.models import MODELS


def pytest_generate_tests(metafunc):
    """Model by model, every variant of a model back to back: the figures a ratio divides run close in time."""
    config = metafunc.config
    if "spec" in metafunc.fixturenames:
        names = [name for name in config.getoption("--models").split(",") if name]
        unknown = sorted(set(names) - set(MODELS))
        if unknown:
            raise pytest.UsageError(f"--models: unknown {unknown}; expected names from {sorted(MODELS)}")
        metafunc.parametrize("spec", [MODELS[name] for name in names], ids=names)
    if "variant" in metafunc.fixturenames:
        variants = workloads.variants(config.getoption("--backend"), config.getoption("--device"))
        params = [pytest.param(v, id=v.name.replace(" ", "-"),
                               marks=[pytest.mark.benchmark(min_rounds=v.min_rounds)] if v.min_rounds else [])
                  for v in variants]
        metafunc.parametrize("variant", params)


def test_step_time(benchmark, fs, backend_name, device, steps, warmup_calls, spec, variant):
    missing = spec.missing_layer(fs)
    if missing:
        pytest.skip(f"model {spec.name!r} needs fs.layers.{missing}, which fitspec_{backend_name} does not have yet")
    if spec.dtype_policy is not None and variant.kind == "keras":
        pytest.skip(f"model {spec.name!r} is fitspec's mixed-precision twin of {spec.name.split('_mixed')[0]!r}: "
                    "Keras trains the float32 model (the native loops have mixed loops of their own)")
    if spec.dtype_policy == "mixed_bfloat16" and backend_name == "numpy":
        pytest.skip("numpy has no bfloat16 (docs/SPEC.md 3.4)")
    x, y = spec.data(steps, fs.backend.floatx())
    try:
        run = workloads.make_workload(variant, fs, device, spec, x, y)
    except NotImplementedError as error:
        pytest.skip(str(error))
    for _ in range(warmup_calls):
        run()
    benchmark.group = f"{backend_name}/{spec.name}"
    benchmark.extra_info.update(
        backend=backend_name, device=device, model=spec.name, variant=variant.name, role=variant.role,
        kind=variant.kind, steps=steps, batch_size=spec.batch_size, loadavg=[round(v, 2) for v in os.getloadavg()],
    )
    benchmark(run)

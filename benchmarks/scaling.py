"""Data-parallel scaling: samples/s of fit() on one device against R replicas, per backend and layout (SPEC 13).

    python -m benchmarks.scaling [--backends jax,tensorflow,torch] [--replicas 2] [--device cpu|gpu]

Each run is a process of its own (device flags come before the framework initialises; replicas may be
processes): JAX over R XLA host devices, TensorFlow over R logical CPU devices (MirroredStrategy) and over R
processes (MultiWorkerMirroredStrategy), torch over R gloo processes, all under `fitspec-launch` where they are
processes. A run times its second epoch of one MLP on the same global batches. The table is written to
benchmarks/results/scaling-<device>.json and printed; nothing is asserted (on a shared 2-core machine the
replicas compete for the same cores: the ratio measures overhead more than speed-up).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
ROOT = RESULTS.parent.parent
#: (backend, layout) pairs measured: devices of one process, or processes of their own
LAYOUTS = (("jax", "devices"), ("tensorflow", "devices"), ("tensorflow", "processes"), ("torch", "processes"))
SAMPLES, BATCH_SIZE, FEATURES, CLASSES = 8192, 256, 64, 10


def worker(options) -> None:
    """One timed fit (in a launched process, or alone); rank 0 writes {samples_per_second} to `options.out`."""
    if options.logical_cpus:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * options.logical_cpus)
    from fitspec import backend_registry

    fs = backend_registry.load(options.backend)
    if options.device != "cpu":
        fs.backend.use_device(options.device)
    fs.distribution.initialize()
    if options.data_parallel:
        fs.distribution.set_distribution(fs.distribution.DataParallel())
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, size=(SAMPLES,))
    fs.utils.set_random_seed(1)
    model = fs.Sequential([fs.Input((FEATURES,)), fs.layers.Dense(256, activation="relu"),
                           fs.layers.Dense(256, activation="relu"), fs.layers.Dense(CLASSES)])
    model.compile(optimizer="adam", loss=fs.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0)  # compiles every step
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    environment = fs.backend.process_environment
    if environment is None or environment.rank == 0:
        pathlib.Path(options.out).write_text(json.dumps({"samples_per_second": SAMPLES / seconds}))


def _free_port(count: int) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + count <= 65536:
            return port


def measure(backend: str, layout: str, replicas: int, device: str) -> float:
    """samples/s of one run: one device when replicas == 1."""
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / "result.json"
        program = ["-m", "benchmarks.scaling", "--worker", backend, str(out), "--device", device]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if replicas == 1:
            command = [sys.executable, *program]
        elif layout == "processes":
            command = [sys.executable, "-m", "fitspec.launch", "--nproc-per-node", str(replicas), "--master-port",
                       str(_free_port(replicas)), *program, "--data-parallel"]
        elif backend == "jax":
            command = [sys.executable, *program, "--data-parallel"]
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={replicas}"
        else:
            command = [sys.executable, *program, "--data-parallel", "--logical-cpus", str(replicas)]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        return json.loads(out.read_text())["samples_per_second"]


def format_table(rows: list[dict]) -> str:
    lines = [("backend", "layout", "replicas", "samples/s", "ratio to 1")]
    for row in rows:
        lines.append((row["backend"], row["layout"], str(row["replicas"]), f"{row['samples_per_second']:.0f}",
                      f"{row['ratio']:.2f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) for line in lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("BACKEND", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--data-parallel", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--logical-cpus", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--backends", default="jax,tensorflow,torch")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    options = parser.parse_args(argv)
    if options.worker:
        options.backend, options.out = options.worker
        worker(options)
        return
    rows = []
    for backend, layout in LAYOUTS:
        if backend not in options.backends.split(","):
            continue
        one = measure(backend, layout, 1, options.device)
        many = measure(backend, layout, options.replicas, options.device)
        for replicas, value in ((1, one), (options.replicas, many)):
            rows.append({"backend": backend, "layout": layout, "replicas": replicas, "device": options.device,
                         "samples_per_second": value, "ratio": value / one})
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"scaling-{options.device}.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(format_table(rows))


if __name__ == "__main__":
    main()

"""What one timed call runs, per variant: one epoch of `steps` batches through fit(), train_on_batch, predict(),
a hand-written loop, or Keras 3; each call ends with the device synchronised.

Every variant of a (backend, model) group runs the same number of steps per call on the same data,
so the per-call times in pytest-benchmark's table compare directly; benchmarks.report divides by
the steps for per-step figures.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np

from benchmarks import keras_models
from benchmarks.native.loop import epoch_order, load

#: the jit_compile that is not the backend's default (the default is "auto"); None: it does not apply.
#: JAX's jit_compile=False runs every op eagerly; torch's True is torch.compile; TensorFlow's auto is XLA on GPU only.
OTHER_JIT = {
    ("numpy", "cpu"): None,
    ("jax", "cpu"): False, ("jax", "gpu"): False,
    ("tensorflow", "cpu"): True, ("tensorflow", "gpu"): False,
    ("torch", "cpu"): True, ("torch", "gpu"): True,
}


@dataclasses.dataclass(frozen=True)
class Variant:
    """One figure of a group. `role` is what benchmarks.report looks for: fit1, fit8, native, ..."""

    name: str
    kind: str  # "fitspec", "native" or "keras"
    method: str  # "fit", "train_on_batch", "predict", "train_epoch"
    role: str = ""
    steps_per_execution: int = 1
    jit_compile: object = "auto"
    loop: str = "native"
    logs_every_step: bool = True
    min_rounds: int | None = None  # fewer timed calls for a variant that is slow by design (eager JAX)
    random: str = "portable"  # fs.config.set_random_implementation while it runs (models with dropout only)


def variants(backend: str, device: str) -> list[Variant]:
    """Every variant measured for `backend` on `device`, fitspec's first, then the native loops, then Keras."""
    out = [Variant("fit spe=1", "fitspec", "fit", "fit1"),
           Variant("fit spe=1 random=native", "fitspec", "fit", "fit1_native_random", random="native"),
           Variant("fit spe=8", "fitspec", "fit", "fit8", steps_per_execution=8)]
    other = OTHER_JIT.get((backend, device))
    if other is not None:
        slow = 3 if backend == "jax" else None  # every op dispatched eagerly: ~100x slower; a few calls tell enough
        out.append(Variant(f"fit spe=1 jit_compile={other}", "fitspec", "fit", "fit1_jit", jit_compile=other,
                           min_rounds=slow))
        if other is not False or backend != "jax":  # eager JAX runs spe=8 as eight eager steps: nothing to learn
            out.append(Variant(f"fit spe=8 jit_compile={other}", "fitspec", "fit", "fit8_jit", steps_per_execution=8,
                               jit_compile=other))
    out += [Variant("train_on_batch", "fitspec", "train_on_batch", "train_on_batch"),
            Variant("predict", "fitspec", "predict", "predict")]
    native = load(backend)
    if native is not None:  # a backend without a hand-written loop yet has fitspec's figures only
        out.append(Variant("native", "native", "train_epoch", "native"))
        if backend != "numpy":  # numpy's logs are host floats already
            out.append(Variant("native logs/epoch", "native", "train_epoch", "native_async", logs_every_step=False))
        out += [Variant(name, "native", "train_epoch", "native_jit", loop=name) for name in native.LOOPS
                if name != "native"]
        out.append(Variant("native predict", "native", "predict", "native_predict"))
    if keras_models.available(backend):
        out += [Variant("keras fit spe=1", "keras", "fit", "keras1"),
                Variant("keras fit spe=8", "keras", "fit", "keras8", steps_per_execution=8)]
    return out


def sync_fitspec(fs, device: str, model) -> None:
    """Wait for the device: fitspec's logs are host floats already, this also covers the last weight writes."""
    name = fs.backend.name
    if name == "jax":
        import jax

        jax.block_until_ready([v.value for v in model.variables])
    elif name == "torch" and device == "gpu":
        import torch

        torch.cuda.synchronize()
    elif name == "tensorflow" and device == "gpu":
        import tensorflow as tf

        tf.test.experimental.sync_devices()


def _with_random(fs, implementation: str, run: Callable[[], None]) -> Callable[[], None]:
    """`run` with `fs.config.set_random_implementation(implementation)` in force (it is per backend: restored after)."""

    def call():
        before = fs.config.random_implementation()
        fs.config.set_random_implementation(implementation)
        try:
            return run()
        finally:
            fs.config.set_random_implementation(before)

    return call


def make_workload(variant: Variant, fs, device: str, spec, x: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    """A no-argument callable running one epoch of `variant` (len(x) / batch_size steps), synchronised."""
    epochs = itertools.count()
    batch_size = spec.batch_size
    if variant.random != "portable":
        if not spec.dropout:
            raise NotImplementedError(f"model {spec.name!r} draws nothing: the random implementation changes nothing")
        return _with_random(fs, variant.random, make_workload(dataclasses.replace(variant, random="portable"), fs,
                                                              device, spec, x, y))
    if variant.kind == "native":
        model = spec.build(fs)
        loop = load(fs.backend.name).LOOPS[variant.loop](spec, [np.asarray(w) for w in model.get_weights()], device)
        if variant.method == "predict":
            return lambda: (loop.predict(x), loop.sync())
        return lambda: (loop.train_epoch(x, y, next(epochs), variant.logs_every_step), loop.sync())
    if variant.kind == "keras":
        model = keras_models.build(spec, fs, variant.steps_per_execution)
        return lambda: model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
    model = spec.build(fs, steps_per_execution=variant.steps_per_execution, jit_compile=variant.jit_compile)
    if variant.method == "fit":
        return lambda: (model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True),
                        sync_fitspec(fs, device, model))
    if variant.method == "predict":
        return lambda: (model.predict(x, batch_size=batch_size, verbose=0), sync_fitspec(fs, device, model))

    def train_on_batches():
        order = epoch_order(len(x), next(epochs))
        for start in range(0, len(x), batch_size):
            index = order[start : start + batch_size]
            model.train_on_batch(x[index], y[index])
        sync_fitspec(fs, device, model)

    return train_on_batches

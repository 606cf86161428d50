"""Per-step time of fitspec_jax's fit() at steps_per_execution 1 and 8, next to a hand-written jax.jit loop.

The model is the JAX guide's: Input(32) -> Dense(1), Adam, mean squared error, batch 32. All three
run in this process on the same data; each figure is the median over `--epochs` timed epochs after
one warm-up epoch (which compiles). The hand-written loop does what fit() does per step: shuffle
once per epoch, slice a batch on the host, one jitted (donated) Adam step, a running mean of the
loss on the device, and it reads the loss back once per epoch.

    python benchmarks/jax_steps_per_execution.py [--samples 32000] [--epochs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import fitspec_jax as fs

BATCH = 32


def time_fit(x, y, steps_per_execution: int, epochs: int) -> float:
    fs.utils.set_random_seed(0)
    inputs = fs.Input(shape=(x.shape[1],))
    model = fs.Model(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", steps_per_execution=steps_per_execution)
    times = []

    class Timer(fs.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=BATCH, epochs=epochs + 1, verbose=0, callbacks=[Timer()])
    steps = -(-len(x) // BATCH)
    return statistics.median(times[1:]) / steps


def time_hand_written(x, y, epochs: int) -> float:
    """The loop a JAX user writes by hand: the same model, optimizer and loss, no fitspec."""
    rng = np.random.default_rng(0)
    limit = np.sqrt(6.0 / (x.shape[1] + 1))
    params = {"kernel": jnp.asarray(rng.uniform(-limit, limit, (x.shape[1], 1)), dtype=jnp.float32),
              "bias": jnp.zeros((1,), jnp.float32)}
    m, v = (jax.tree_util.tree_map(jnp.zeros_like, params) for _ in range(2))
    state = (params, m, v, jnp.zeros((), jnp.int32), jnp.zeros(()), jnp.zeros(()))
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7

    def loss_fn(p, xb, yb):
        return jnp.mean(jnp.square(yb - (xb @ p["kernel"] + p["bias"])))

    def step(state, xb, yb):
        p, m, v, t, total, count = state
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        t = t + 1
        alpha = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = jax.tree_util.tree_map(lambda m, g: m + (g - m) * (1 - b1), m, g)
        v = jax.tree_util.tree_map(lambda v, g: v + (g * g - v) * (1 - b2), v, g)
        p = jax.tree_util.tree_map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + eps), p, m, v)
        n = xb.shape[0]
        return p, m, v, t, total + loss * n, count + n

    step = jax.jit(step, donate_argnums=0)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    times = []
    for epoch in range(epochs + 1):
        start = time.perf_counter()
        order = np.random.default_rng([0, epoch]).permutation(len(x))
        state = state[:4] + (jnp.zeros(()), jnp.zeros(()))
        for i in range(0, len(x), BATCH):
            index = order[i : i + BATCH]
            state = step(state, x32[index], y32[index])
        float(state[4] / state[5])
        times.append(time.perf_counter() - start)
    steps = -(-len(x) // BATCH)
    return statistics.median(times[1:]) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.random((args.samples, 32)), rng.random((args.samples, 1))
    figures = {
        "fit(), steps_per_execution=1": time_fit(x, y, 1, args.epochs),
        "fit(), steps_per_execution=8": time_fit(x, y, 8, args.epochs),
        "hand-written jax.jit loop": time_hand_written(x, y, args.epochs),
    }
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; Dense(1) on 32 features, Adam, mse, "
          f"batch {BATCH}, {args.samples} samples, median of {args.epochs} epochs")
    for name, seconds in figures.items():
        print(f"{name:32s} {seconds * 1e6:9.1f} us/step")


if __name__ == "__main__":
    main()

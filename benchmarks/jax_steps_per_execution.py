"""Per-step time of fitspec_jax's fit() at steps_per_execution 1 and 8, next to a hand-written jax.jit loop.

The model is the JAX guide's: Input(32) -> Dense(1), Adam, mean squared error, batch 32. The three
run in this process on the same data, one epoch each in turn (so that load from other processes
falls on all three alike), after one warm-up epoch each (which compiles); each figure is the
median over `--rounds` epochs. The hand-written loop does what fit() does per step: shuffle once
per epoch, slice a batch on the host, one jitted (donated) Adam step, a running mean of the loss
on the device, and it reads the loss back once per epoch.

    python benchmarks/jax_steps_per_execution.py [--samples 32000] [--rounds 7]
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


def fit_epoch(x, y, steps_per_execution: int):
    """A function running one epoch of fit() and returning its seconds per step."""
    fs.utils.set_random_seed(0)
    inputs = fs.Input(shape=(x.shape[1],))
    model = fs.Model(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", steps_per_execution=steps_per_execution)
    steps = -(-len(x) // BATCH)
    times = []

    class Timer(fs.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    def epoch() -> float:
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[Timer()])
        return times[-1] / steps

    return epoch


def hand_written_epoch(x, y):
    """The loop a JAX user writes by hand: the same model, optimizer and loss, no fitspec."""
    rng = np.random.default_rng(0)
    limit = np.sqrt(6.0 / (x.shape[1] + 1))
    params = {"kernel": jnp.asarray(rng.uniform(-limit, limit, (x.shape[1], 1)), dtype=jnp.float32),
              "bias": jnp.zeros((1,), jnp.float32)}
    m, v = (jax.tree_util.tree_map(jnp.zeros_like, params) for _ in range(2))
    state = [(params, m, v, jnp.zeros((), jnp.int32))]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7

    def loss_fn(p, xb, yb):
        return jnp.mean(jnp.square(yb - (xb @ p["kernel"] + p["bias"])))

    def step(state, xb, yb):
        (p, m, v, t), total, count = state
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        t = t + 1
        alpha = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = jax.tree_util.tree_map(lambda m, g: m + (g - m) * (1 - b1), m, g)
        v = jax.tree_util.tree_map(lambda v, g: v + (g * g - v) * (1 - b2), v, g)
        p = jax.tree_util.tree_map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + eps), p, m, v)
        n = xb.shape[0]
        return (p, m, v, t), total + loss * n, count + n

    step = jax.jit(step, donate_argnums=0)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    steps = -(-len(x) // BATCH)
    epochs = [0]

    def epoch() -> float:
        start = time.perf_counter()
        order = np.random.default_rng([0, epochs[0]]).permutation(len(x))
        carry = (state[0], jnp.zeros(()), jnp.zeros(()))
        for i in range(0, len(x), BATCH):
            index = order[i : i + BATCH]
            carry = step(carry, x32[index], y32[index])
        float(carry[1] / carry[2])
        state[0] = carry[0]
        epochs[0] += 1
        return (time.perf_counter() - start) / steps

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.random((args.samples, 32)), rng.random((args.samples, 1))
    runners = {
        "fit(), steps_per_execution=1": fit_epoch(x, y, 1),
        "fit(), steps_per_execution=8": fit_epoch(x, y, 8),
        "hand-written jax.jit loop": hand_written_epoch(x, y),
    }
    for run in runners.values():
        run()  # warm-up: compiles
    times = {name: [] for name in runners}
    for _ in range(args.rounds):
        for name, run in runners.items():
            times[name].append(run())
    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; Dense(1) on 32 features, Adam, mse, "
          f"batch {BATCH}, {args.samples} samples, median of {args.rounds} epochs each")
    hand = statistics.median(times["hand-written jax.jit loop"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:32s} {median * 1e6:9.1f} us/step  ({median / hand:.2f}x the hand-written loop)")


if __name__ == "__main__":
    main()

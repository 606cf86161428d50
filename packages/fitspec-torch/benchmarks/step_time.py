"""Per-step time of fit() next to a hand-written torch loop of the same model and optimizer, in one run.

    python packages/fitspec-torch/benchmarks/step_time.py [--device cpu|gpu] [--epochs 20] [--clock cpu]

Models: the guide's first model (Dense(1) on 32 features, Adam, MSE, metric MAE, batch 32), the
classification MLP of the golden cases (20 -> 16 relu -> 16 relu -> 4 softmax, RMSprop, sparse
categorical crossentropy, metric accuracy, batch 64), and a wider one of the same shape
("wide": 784 -> 256 -> 256 -> 10, batch 128), where the arithmetic outweighs the Python.
The hand-written loop keeps the same running loss / metric means as fit() and reads them once per
step (`.item()`), as fit() does for its logs; "bare" leaves the metrics out. Each figure is the
median over epochs of (epoch time / steps), after one warm-up epoch; `--clock cpu` measures this
process's CPU time instead of wall time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import fitspec_torch as fs

CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


SIZES = {"mlp": (20, 16, 4), "wide": (784, 256, 10)}  # inputs, hidden units, classes


def data(kind, n, rng):
    if kind == "guide":
        return rng.random((n, 32)).astype("float32"), rng.random((n, 1)).astype("float32")
    inputs, _, classes = SIZES[kind]
    return rng.random((n, inputs)).astype("float32"), rng.integers(0, classes, (n,))


def fitspec_model(kind):
    if kind == "guide":
        inputs = fs.Input(shape=(32,))
        model = fs.Model(inputs, fs.layers.Dense(1)(inputs))
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    else:
        n_in, hidden, classes = SIZES[kind]
        inputs = fs.Input(shape=(n_in,))
        h = fs.layers.Dense(hidden, activation="relu")(inputs)
        h = fs.layers.Dense(hidden, activation="relu")(h)
        model = fs.Model(inputs, fs.layers.Dense(classes, activation="softmax")(h))
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def time_fit(kind, x, y, batch_size, epochs, jit=False):
    model = fitspec_model(kind)
    if jit:
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=model._metric_identifiers, jit_compile=True)
    steps = -(-len(x) // batch_size)
    times = []

    class Timer(fs.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = clock()

        def on_epoch_end(self, epoch, logs=None):
            times.append((clock() - self.start) / steps)

    model.fit(x, y, batch_size=batch_size, epochs=epochs + 1, verbose=0, shuffle=True, callbacks=[Timer()])
    return statistics.median(times[1:])


def time_torch(kind, x, y, batch_size, epochs, device, with_metrics=True):
    if kind == "guide":
        net = torch.nn.Linear(32, 1)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
        loss_fn = torch.nn.MSELoss()

        def metric(y_pred, yb):
            return (y_pred - yb).abs().mean()
    else:
        n_in, hidden, classes = SIZES[kind]
        net = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                                  torch.nn.ReLU(), torch.nn.Linear(hidden, classes), torch.nn.Softmax(dim=-1))
        opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)

        def loss_fn(y_pred, yb):
            return torch.nn.functional.nll_loss(torch.log(y_pred.clamp(1e-7, 1 - 1e-7)), yb)

        def metric(y_pred, yb):
            return (y_pred.argmax(-1) == yb).float().mean()
    net.to(device)
    steps = -(-len(x) // batch_size)
    times = []
    rng = np.random.default_rng(0)
    for _ in range(epochs + 1):
        start = clock()
        order = rng.permutation(len(x))
        total = torch.zeros((), device=device)
        metric_total = torch.zeros((), device=device)
        count = 0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb = torch.from_numpy(x[idx]).to(device)
            yb = torch.from_numpy(y[idx]).to(device)
            opt.zero_grad()
            y_pred = net(xb)
            loss = loss_fn(y_pred, yb)
            loss.backward()
            opt.step()
            if with_metrics:
                with torch.no_grad():
                    n = len(idx)
                    total += loss.detach() * n
                    metric_total += metric(y_pred, yb) * n
                    count += n
                    _ = (total / count).item(), (metric_total / count).item()
        times.append((clock() - start) / steps)
    return statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--jit", action="store_true", help="also time fit() with jit_compile=True")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1: steady on a shared CPU)")
    parser.add_argument("--clock", default="wall", choices=sorted(CLOCK),
                        help="wall time, or this process's CPU time (steadier on a loaded machine)")
    args = parser.parse_args()
    global clock
    clock = CLOCK[args.clock]
    torch.set_num_threads(args.threads)
    fs.backend.use_device(args.device)
    device = fs.backend.device
    rng = np.random.default_rng(0)
    for kind, n, batch_size in (("guide", 1000, 32), ("mlp", 2048, 64), ("wide", 2048, 128)):
        x, y = data(kind, n, rng)
        native = time_torch(kind, x, y, batch_size, args.epochs, device)
        bare = time_torch(kind, x, y, batch_size, args.epochs, device, with_metrics=False)
        fitted = time_fit(kind, x, y, batch_size, args.epochs)
        line = (f"{kind:6s} device={device.type}: fit {fitted * 1e6:7.1f} us/step | torch loop {native * 1e6:7.1f} "
                f"us/step (bare {bare * 1e6:7.1f}) | fit / loop = {fitted / native:.2f}")
        if args.jit:
            jitted = time_fit(kind, x, y, batch_size, args.epochs, jit=True)
            line += f" | fit(jit_compile=True) {jitted * 1e6:7.1f} us/step"
        print(line)


if __name__ == "__main__":
    main()

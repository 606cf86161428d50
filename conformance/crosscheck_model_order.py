"""Crosscheck area `model_order` (docs/SPEC.md 2.12): random branched Functional graphs, built by the same program
in Keras 3 and in fitspec, list the same layers and the same weights in the same order."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import verdict

GRAPHS = 40


def random_graph(api, seed: int):
    """A graph of Dense, Concatenate, Add and shared Dense layers over one to three Inputs, with one or two outputs;
    every choice from `seed`, every layer named, so the two libraries build the same graph."""
    rng = np.random.default_rng(seed)
    lay = api.layers
    pool = [api.Input((4,), name=f"in{i}") for i in range(int(rng.integers(1, 4)))]
    inputs = list(pool)
    shared = lay.Dense(4, name="shared")
    for step in range(int(rng.integers(2, 9))):
        kind = rng.choice(["dense", "dense", "concat", "add", "shared"])
        x, y = (pool[int(i)] for i in rng.integers(0, len(pool), size=2))
        if kind == "dense":
            pool.append(lay.Dense(4, name=f"dense{step}")(x))
        elif kind == "concat":
            pool.append(lay.Dense(4, name=f"squeeze{step}")(lay.Concatenate(name=f"concat{step}")([x, y])))
        elif kind == "add":
            pool.append(lay.Add(name=f"add{step}")([x, y]))
        else:
            pool.append(shared(x))
    outputs = [pool[-1]]
    if rng.random() < 0.5 and len(pool) > 2:
        outputs.append(pool[int(rng.integers(0, len(pool) - 1))])
    return api.Model(inputs, [lay.Dense(1, name=f"head{i}")(t) for i, t in enumerate(outputs)])


def check() -> int:
    import keras

    import fitspec_numpy as fs

    problems = []
    for seed in range(GRAPHS):
        theirs, ours = random_graph(keras, seed), random_graph(fs, seed)
        for what, mine, keras_list in (("layers", [layer.name for layer in ours.layers],
                                        [layer.name for layer in theirs.layers]),
                                       ("weights", [v.path for v in ours.weights], [v.path for v in theirs.weights])):
            if mine != keras_list:
                problems.append(f"graph {seed}: {what} {mine} != Keras {keras_list}")
    return verdict(f"model_order: {GRAPHS} random branched graphs list their layers and weights in Keras's order",
                   problems)

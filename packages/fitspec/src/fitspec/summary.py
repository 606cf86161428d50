"""`model.summary()`: one row per layer with its output shape and parameter count."""

from __future__ import annotations

import numpy as np


def _shape_of(layer, model) -> str:
    graph = getattr(model, "_graph", None)
    if graph is None:
        return "?"
    shapes = [n.outputs.shape for n in graph.nodes if n.layer is layer and hasattr(n.outputs, "shape")]
    return str(shapes[0]) if shapes else "?"


def print_summary(model, print_fn=print) -> None:
    rows = [(f"{layer.name} ({type(layer).__name__})", _shape_of(layer, model), f"{layer.count_params():,}")
            for layer in model.layers]
    headers = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    rule = "─" * len(line)
    print_fn(f'Model: "{model.name}"')
    print_fn(rule)
    print_fn(line)
    print_fn(rule)
    for row in rows:
        print_fn("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print_fn(rule)
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    total = model.count_params()
    print_fn(f" Total params: {total:,}")
    print_fn(f" Trainable params: {trainable:,}")
    print_fn(f" Non-trainable params: {total - trainable:,}")

"""`model.summary()`: one row per layer with its output shape and parameter count, in Keras 3's columns.

A model whose layers each take the previous one's output (Sequential-like) has the columns Layer (type),
Output Shape, Param # at positions 0.45, 0.80, 1.0 of 88 characters; any other graph adds Connected to
(0.3, 0.56, 0.74, 1.0 of 108). `show_trainable` adds 12 characters and a Trainable column (positions
scaled by 0.9); `positions` are fractions of `line_length` (or, all > 1, absolute column ends);
`layer_range` = (start pattern, end pattern) keeps the layers from the first whose name `re.match`es
the start to the last matching the end; `expand_nested` lists a nested model's layers under it.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np

from fitspec.errors import invalid_argument


def _nodes(model):
    graph = getattr(model, "_graph", None)
    return [] if graph is None else graph.nodes


def _shape_of(layer, model) -> str:
    if type(layer).__name__ == "InputLayer":
        return str(layer.output.shape)
    shapes = [n.outputs.shape for n in _nodes(model) if n.layer is layer and hasattr(n.outputs, "shape")]
    if not shapes:
        shapes = [[t.shape for t in _leaves(n.outputs)] for n in _nodes(model) if n.layer is layer]
    return str(shapes[0]) if shapes else "?"


def _leaves(structure):
    import optree

    return optree.tree_leaves(structure)


def _connected_to(layer, model) -> str:
    refs = []
    for node in _nodes(model):
        if node.layer is not layer:
            continue
        for t in node.inputs:
            if t.node is None:
                refs.append(f"{t.name}[0][0]")
            else:
                owner = t.node.layer
                index = [n for n in _nodes(model) if n.layer is owner].index(t.node)
                refs.append(f"{owner.name}[{index}][{t.index}]")
    return ", ".join(refs) if refs else "-"


def _sequential_like(model) -> bool:
    nodes = _nodes(model)
    previous = None
    for node in nodes:
        inputs = node.inputs
        if len(inputs) != 1 or (previous is not None and inputs[0] is not previous):
            return False
        if len(_leaves(node.outputs)) != 1:
            return False
        previous = _leaves(node.outputs)[0]
    return True


def _layer_range(layers, layer_range):
    if layer_range is None:
        return layers
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or not all(
            isinstance(p, str) for p in layer_range):
        raise invalid_argument("summary", "layer_range", "a list or tuple of 2 strings (start and end layer name "
                               "patterns)", layer_range)
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise invalid_argument("summary", "layer_range", f"patterns matching the layer names "
                               f"{[layer.name for layer in layers]}", layer_range)
    start, end = (min(upper), max(lower)) if min(lower) > max(upper) else (min(lower), max(upper))
    return layers[start:end + 1]


def _widths(positions, line_length):
    if not isinstance(positions, (list, tuple)) or not positions or not all(
            isinstance(p, (int, float)) and not isinstance(p, bool) and p > 0 for p in positions):
        raise invalid_argument("summary", "positions", "a list of increasing positive column ends", positions)
    ends = [int(p * line_length) if positions[-1] <= 1 else int(p) for p in positions]
    widths, current = [], 0
    for end in ends:
        if end - current < 4:
            raise invalid_argument("summary", "positions", f"columns at least 4 characters wide within "
                                   f"line_length={line_length}", positions)
        widths.append(end - current)
        current = end
    return widths


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None) -> None:
    print_fn = print_fn or print
    if line_length is not None and (isinstance(line_length, bool) or not isinstance(line_length, int)
                                    or line_length <= 0):
        raise invalid_argument("summary", "line_length", "a positive int", line_length)
    sequential = _sequential_like(model)
    if sequential:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions is None:
        positions = default_positions
        if show_trainable:
            positions = [p * 0.90 for p in positions] + [1.0]
    if show_trainable:
        default_length += 12
        header.append("Trainable")
    line_length = line_length or default_length
    widths = _widths(positions, line_length)
    if len(widths) != len(header):
        raise invalid_argument("summary", "positions", f"{len(header)} column ends (columns {header})", positions)

    def row(cells):
        wrapped = [textwrap.wrap(c, max(w - 1, 1)) or [""] for c, w in zip(cells, widths)]
        for i in range(max(len(w) for w in wrapped)):
            print_fn("".join((w[i] if i < len(w) else "").ljust(width) for w, width in zip(wrapped, widths)).rstrip())

    def layer_rows(owner, layers, depth):
        for layer in layers:
            cells = [f"{'  ' * depth}{layer.name} ({type(layer).__name__})", _shape_of(layer, owner),
                     f"{layer.count_params():,}"]
            if not sequential:
                cells.append(_connected_to(layer, owner))
            if show_trainable:
                cells.append("Y" if layer.trainable else "N")
            row(cells)
            nested = getattr(layer, "layers", None) if expand_nested and hasattr(layer, "_graph") else None
            if nested:
                layer_rows(layer, nested, depth + 1)

    print_fn(f'Model: "{model.name}"')
    print_fn("━" * line_length)
    row(header)
    print_fn("━" * line_length)
    layer_rows(model, _layer_range(list(model.layers), layer_range), 0)
    print_fn("━" * line_length)
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    total = model.count_params()
    print_fn(f" Total params: {total:,}")
    print_fn(f" Trainable params: {trainable:,}")
    print_fn(f" Non-trainable params: {total - trainable:,}")

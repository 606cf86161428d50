"""Symbolic tensors of the functional API: `Input(shape=...)` and the outputs of layers called on it.

A layer called on symbolic tensors runs once on zeros of the same shape (batch 1) to build its
weights and learn its output shapes, inside a stateless scope so no state moves; it records a
`Node` that the functional model replays on real data.
"""

from __future__ import annotations

import dataclasses

import optree

from fitspec.naming import unique_name


class SymbolicTensor:
    """Shape (batch dimension None), dtype and the node that produced it."""

    def __init__(self, shape, dtype, name=None, node=None, index=0):
        self.shape = tuple(shape)
        self.dtype = None if dtype is None else str(dtype)
        self.name = name
        self.node = node
        self.index = index
        self.input_layer = None  # an Input's InputLayer (layers.input_layer), made when a model is built on it

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} name={self.name}>"


@dataclasses.dataclass(eq=False)
class Node:
    """One call of `layer` on symbolic arguments."""

    layer: object
    args: tuple
    kwargs: dict
    outputs: object  # the structure of SymbolicTensors the call produced

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return [t for t in optree.tree_leaves((self.args, self.kwargs)) if isinstance(t, SymbolicTensor)]


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802 (Keras name)
    """A symbolic input: `Input(shape=(32,))` has shape (None, 32)."""
    from fitspec.errors import invalid_argument

    if batch_shape is None:
        if shape is None:
            raise invalid_argument("Input", "shape", "a tuple of ints such as (32,)", shape)
        if isinstance(shape, int):
            shape = (shape,)
        batch_shape = (batch_size, *tuple(shape))
    for dim in batch_shape[1:]:
        if dim is not None and (not isinstance(dim, int) or dim < 0):
            raise invalid_argument("Input", "shape", "a tuple of non-negative ints or None", tuple(batch_shape[1:]))
    return SymbolicTensor(batch_shape, dtype, name=name or unique_name("input_layer"))


#: Keras 3's name of a symbolic tensor
KerasTensor = SymbolicTensor


def is_symbolic(structure) -> bool:
    return any(isinstance(t, SymbolicTensor) for t in optree.tree_leaves(structure, none_is_leaf=True))

"""Masks attached to tensors: Keras 3's `_keras_mask`, kept beside the tensor instead of on it.

A layer that computes a mask (Masking, Embedding(mask_zero=True), one that propagates its input's)
records it here for its output; the next layer, the loss and the metrics look it up. The table is
keyed by the tensor's identity, so it works the same on every backend and inside compiled steps
(jax tracers, tf.function graphs, autograd boxes): an entry lives as long as its tensor (a weak
reference clears it), or, for a type that takes no weak reference, until `MAX_STRONG` newer ones.
"""

from __future__ import annotations

import collections
import weakref

import optree

#: id(tensor) -> (a reference to the tensor, its mask); the reference guards against a reused id
_masks: dict[int, tuple] = {}
#: ids whose tensor could not be weakly referenced, oldest first (bounded: those tensors stay alive meanwhile)
_strong: collections.deque = collections.deque()
MAX_STRONG = 4096




def set_mask(tensor, mask) -> None:
    """Attach `mask` (a boolean tensor, or None to clear) to `tensor`."""
    key = id(tensor)
    if mask is None:
        _masks.pop(key, None)
        return
    try:
        ref = weakref.ref(tensor, lambda _, key=key, table=_masks: table.pop(key, None))  # safe at exit too
    except TypeError:  # a type without weak references (numpy scalars, autograd boxes): hold it, boundedly
        ref = _strong_ref(tensor)
        _strong.append(key)
        while len(_strong) > MAX_STRONG:
            old = _strong.popleft()
            entry = _masks.get(old)
            if entry is not None and isinstance(entry[0], _strong_ref):
                _masks.pop(old, None)
    _masks[key] = (ref, mask)


class _strong_ref:  # noqa: N801 (reads like weakref.ref)
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor

    def __call__(self):
        return self.tensor


def get_mask(tensor):
    """The mask attached to `tensor`, or None."""
    if not _masks:  # no mask anywhere: the common case costs one check
        return None
    entry = _masks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def get_masks(structure):
    """`get_mask` of each leaf of `structure`, in its structure (None for a leaf without one)."""
    if not _masks:
        return optree.tree_map(lambda _: None, structure, none_is_leaf=True)
    return optree.tree_map(get_mask, structure, none_is_leaf=True)


def any_mask() -> bool:
    """Whether any tensor has a mask now (the layers skip the mask bookkeeping while none has)."""
    return bool(_masks)


def any_along(ops, mask, axis=-1):
    """Whether any entry of the boolean `mask` is True along `axis` (keras.ops.any, in the Ops protocol's terms)."""
    return ops.greater(ops.max(ops.cast(mask, "int32"), axis=axis), 0)

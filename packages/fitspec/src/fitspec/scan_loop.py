"""`ops.scan` as a Python loop over the leading axis: the engine of numpy and torch, and of `unroll=True`.

scan(f, init, xs) -> (carry, ys): carry = init; for each t, carry, y_t = f(carry, xs[t]); ys stacks the y_t on
a new leading axis (jax.lax.scan's contract; xs and the y_t may be structures of tensors).
"""

from __future__ import annotations

import optree


def scan_by_loop(stack, f, init, xs):
    """jax.lax.scan's contract by a loop; `stack(tensors, axis)` is the backend's."""
    leaves, treedef = optree.tree_flatten(xs)
    if not leaves:
        raise ValueError("scan: xs holds no tensor to scan over")
    carry, ys = init, []
    for t in range(int(leaves[0].shape[0])):
        carry, y = f(carry, optree.tree_unflatten(treedef, [leaf[t] for leaf in leaves]))
        ys.append(y)
    if not ys:
        raise ValueError("scan: xs has length 0")
    return carry, optree.tree_map(lambda *steps: stack(list(steps), axis=0), ys[0], *ys[1:])

"""`value_and_grad` with JAX's signature (argnums, has_aux), built on autograd.

autograd's own `value_and_grad` has no `has_aux`, which the JAX guide's train_step needs; this
wrapper records the auxiliary output on the side and returns it with the tracer boxes removed.
"""

from __future__ import annotations

import optree
from autograd.core import make_vjp
from autograd.tracer import getval


def value_and_grad(fun, argnums=0, has_aux=False):
    """value_and_grad(f)(*args) -> (f(*args), df/d args[argnums]); with has_aux, f returns (value, aux)."""
    if not isinstance(argnums, int):
        raise TypeError(f"value_and_grad: argument `argnums` expected an int; received {argnums!r}.")

    def wrapped(*args, **kwargs):
        aux_box = []

        def f(x):
            call_args = list(args)
            call_args[argnums] = x
            out = fun(*call_args, **kwargs)
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise TypeError("value_and_grad(has_aux=True): the function must return (value, aux).")
                value, aux = out
                aux_box.append(aux)
                return value
            return out

        vjp, value = make_vjp(f, args[argnums])
        grads = vjp(_ones_like(value))
        value = getval(value)
        if has_aux:
            aux = optree.tree_map(getval, aux_box[0], none_is_leaf=True)
            return (value, aux), grads
        return value, grads

    return wrapped


def _ones_like(value):
    import numpy as np

    return np.ones(np.shape(getval(value)), dtype=np.result_type(getval(value)))

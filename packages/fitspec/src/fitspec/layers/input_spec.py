"""`InputSpec`: what a layer accepts (rank, dtype, dimensions), checked on every call of a layer that sets
`self.input_spec`, as Keras 3 checks it; a mismatch is an error naming the layer, the input and both shapes."""

from __future__ import annotations

import optree

from fitspec.errors import invalid_argument


class InputSpec:
    """`InputSpec(dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
    allow_last_axis_squeeze=False, name=None, optional=False)`; a `shape` sets `ndim`, None dimensions match any."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = None if dtype is None else str(dtype)
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.name, self.optional, self.allow_last_axis_squeeze = name, optional, allow_last_axis_squeeze
        if axes is not None and not (isinstance(axes, dict) and all(isinstance(k, int) for k in axes)):
            raise invalid_argument("InputSpec", "axes", "a dict {int axis: dimension}", axes)
        self.axes = dict(axes or {})
        highest = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and highest is not None and max(self.axes) > highest - 1:
            raise invalid_argument("InputSpec", "axes", f"axes below {highest} (ndim or max_ndim)", axes)

    def __repr__(self):
        parts = [f"{k}={getattr(self, k)}" for k in ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
                 if getattr(self, k)]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def check(layer, inputs, shape_of, dtype_of) -> None:
    """Refuse `inputs` that do not meet `layer.input_spec` (one spec or a structure of them)."""
    specs = optree.tree_leaves(layer.input_spec, is_leaf=lambda s: isinstance(s, InputSpec))
    if not specs:
        return
    if isinstance(inputs, dict) and all(spec.name for spec in specs):
        inputs = [inputs.get(spec.name) for spec in specs]
    tensors = optree.tree_leaves(inputs, none_is_leaf=True)
    where = f"{layer.name}"
    if len(tensors) != len(specs):
        raise invalid_argument(where, "inputs", f"{len(specs)} input tensor(s) (its input_spec)",
                               f"<{len(tensors)} tensors>")
    for i, (x, spec) in enumerate(zip(tensors, specs)):
        if x is None and spec.optional:
            continue
        shape = tuple(shape_of(x))
        ndim = len(shape)
        problem = None
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            problem = f"ndim={spec.ndim}"
        elif spec.max_ndim is not None and ndim > spec.max_ndim:
            problem = f"max_ndim={spec.max_ndim}"
        elif spec.min_ndim is not None and ndim < spec.min_ndim:
            problem = f"min_ndim={spec.min_ndim}"
        elif spec.dtype is not None and dtype_of(x) != spec.dtype:
            problem = f"dtype={spec.dtype}"
        elif any(v is not None and shape[a] not in (v, None) for a, v in spec.axes.items()):
            problem = f"axes {spec.axes}"
        elif spec.shape is not None:
            want, got = spec.shape, shape
            if spec.allow_last_axis_squeeze:
                got = got[:-1] if got and got[-1] == 1 else got
                want = want[:-1] if want and want[-1] == 1 else want
            if any(w is not None and g is not None and w != g for w, g in zip(want, got)):
                problem = f"shape={spec.shape}"
        if problem is not None:
            received = f"<shape {shape}, dtype {dtype_of(x)}>"
            raise invalid_argument(where, f"inputs[{i}]" if len(specs) > 1 else "inputs",
                                   f"{problem} (its input_spec)", received)

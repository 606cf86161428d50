"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Dot, and their functional forms.

The elementwise ones fold the list of inputs left to right (x1 op x2, then op x3, ...), broadcasting
as numpy does; an input of lower rank first gains axes of length 1 after the batch axis (Keras's
rule). Dot is Keras's batch_dot (docs/SPEC.md 8d.8).
"""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz
from fitspec.layers.layer import Layer
from fitspec.layers.normalization import l2_normalize


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or _is_int(d) for d in value)


def broadcast_shapes(where: str, shape1, shape2) -> tuple:
    """The shape of an elementwise op on `shape1` and `shape2`, aligned from the last axis (None: unknown)."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            raise invalid_argument(where, "inputs", "shapes that broadcast against each other",
                                   f"<shapes {tuple(shape1)} and {tuple(shape2)}>")
    return tuple(out)


class Merge(Layer):
    """Elementwise merge of a list of tensors; subclasses give `_merge(ops, inputs)`."""

    min_inputs, max_inputs = 1, None

    def _check_shapes(self, input_shape) -> tuple:
        """The output shape of `input_shape`, a list of shapes; checks their number and compatibility."""
        count = f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(_is_shape(s) for s in input_shape):
            raise invalid_argument(self.name, "inputs", f"a list of {count} tensors", f"<shapes {input_shape}>")
        if len(input_shape) < self.min_inputs or (self.max_inputs and len(input_shape) > self.max_inputs):
            raise invalid_argument(self.name, "inputs", f"a list of {count} tensors",
                                   f"<a list of {len(input_shape)}>")
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise invalid_argument(self.name, "inputs", "tensors of one batch size", f"<shapes {list(input_shape)}>")
        return self._output_shape(list(map(tuple, input_shape)), batch_sizes)

    def _output_shape(self, shapes, batch_sizes):
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = broadcast_shapes(self.name, out, shape[1:])
        return (next(iter(batch_sizes), None), *out)

    supports_masking = True

    def build(self, input_shape):
        self._check_shapes(input_shape)

    def compute_mask(self, inputs, mask=None):
        """The OR of the inputs' masks when every input has one, else None (Keras 3's)."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise invalid_argument(self.name, "mask", f"a list of {len(inputs)} masks, one per input", mask)
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = self.ops.logical_or(out, m)
        return out

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise invalid_argument(self.name, "inputs", "a list of tensors", "<one tensor>")
        ops = self.ops
        self._check_shapes([tuple(ops.shape(x)) for x in inputs])
        rank = max(len(ops.shape(x)) for x in inputs)
        expanded = []
        for x in inputs:
            for _ in range(rank - len(ops.shape(x))):
                x = ops.expand_dims(x, 1)
            expanded.append(x)
        return self._merge(ops, expanded)


class _Fold(Merge):
    """x1 op x2 op ... left to right, op the `operation` of the Ops protocol."""

    operation = "add"

    def _merge(self, ops, inputs):
        out, combine = inputs[0], getattr(ops, self.operation)
        for x in inputs[1:]:
            out = combine(out, x)
        return out


class Add(_Fold):
    """x1 + x2 + ... (left to right)."""


class Subtract(Merge):
    """x1 - x2, of exactly two inputs."""

    min_inputs = max_inputs = 2

    def _merge(self, ops, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(_Fold):
    """x1 * x2 * ... (left to right)."""

    operation = "multiply"


class Average(_Fold):
    """(x1 + x2 + ...) / n: the sum left to right, then one division."""

    def _merge(self, ops, inputs):
        return super()._merge(ops, inputs) / len(inputs)


class Maximum(_Fold):
    """max(max(x1, x2), x3) ... elementwise."""
    mask_refused = "Keras's merge keeps a masked input's entries out of the result; fitspec's does not yet"

    operation = "maximum"


class Minimum(_Fold):
    """min(min(x1, x2), x3) ... elementwise."""
    mask_refused = "Keras's merge keeps a masked input's entries out of the result; fitspec's does not yet"

    operation = "minimum"


class Dot(Merge):
    """Keras's batch_dot of two inputs: per sample, the sum over x1's axis a1 and x2's axis a2 of their product.

    Output shape: (batch, x1's other axes, x2's other axes), or (batch, 1) when both are (batch, d).
    `axes` an int (the same axis of both; negative counts from each input's end) or a pair; never the
    batch axis. `normalize`: each input first L2-normalised along its axis (ε = fs.config.epsilon()), so the result
    is the cosine similarity.
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(axes) and not (isinstance(axes, (tuple, list)) and len(axes) == 2
                                      and all(_is_int(a) for a in axes)):
            raise invalid_argument("Dot", "axes", "an int or a tuple of 2 ints", axes)
        if not isinstance(normalize, (bool, np.bool_)):
            raise invalid_argument("Dot", "normalize", "a bool", normalize)
        self.axes = int(axes) if _is_int(axes) else [int(a) for a in axes]
        self.normalize = bool(normalize)

    def _axes_of(self, shapes) -> list[int]:
        axes = [self.axes, self.axes] if _is_int(self.axes) else list(self.axes)
        out = []
        for axis, shape in zip(axes, shapes):
            if len(shape) < 2 or not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise invalid_argument(self.name, "axes", "a non-batch axis of each input (rank >= 2)",
                                       f"<axes {self.axes} for shapes {[tuple(s) for s in shapes]}>")
            out.append(axis % len(shape))
        return out

    def _output_shape(self, shapes, batch_sizes):
        a1, a2 = self._axes_of(shapes)
        d1, d2 = shapes[0][a1], shapes[1][a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise invalid_argument(self.name, "inputs", f"equal lengths on axes {[a1, a2]}",
                                   f"<shapes {shapes[0]} and {shapes[1]}>")
        rest = [d for i, d in enumerate(shapes[0][1:], 1) if i != a1] + [
            d for i, d in enumerate(shapes[1][1:], 1) if i != a2]
        return (next(iter(batch_sizes), None), *(rest or [1]))

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise invalid_argument(self.name, "inputs", "a list of 2 tensors", "<one tensor>")
        ops = self.ops
        shapes = [tuple(ops.shape(x)) for x in inputs]
        out_shape = self._check_shapes(shapes)
        (x, y), (a1, a2) = inputs, self._axes_of(shapes)
        if self.normalize:
            x, y = l2_normalize(ops, x, a1, fuzz(ops)), l2_normalize(ops, y, a2, fuzz(ops))  # ops.normalize's ε
        rank_x, rank_y = len(shapes[0]), len(shapes[1])
        x = ops.transpose(x, [d for d in range(rank_x) if d != a1] + [a1])  # (b, ..., d)
        y = ops.transpose(y, [0, a2] + [d for d in range(1, rank_y) if d != a2])  # (b, d, ...)
        x = ops.reshape(x, (-1, int(np.prod(shapes[0][1:])) // shapes[0][a1], shapes[0][a1]))
        y = ops.reshape(y, (-1, shapes[1][a2], int(np.prod(shapes[1][1:])) // shapes[1][a2]))
        return ops.reshape(ops.matmul(x, y), (-1, *out_shape[1:]))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


CLASSES = {cls.__name__: cls for cls in (Add, Subtract, Multiply, Average, Maximum, Minimum, Dot)}

#: the functional forms, `fs.layers.add([a, b])`: the class called on the inputs (`dot` takes `axes` first).
FUNCTIONS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average",
             "maximum": "Maximum", "minimum": "Minimum"}


def functional_forms(classes: dict) -> dict:
    """{name: function} of FUNCTIONS and `dot`, each making its layer from the bound `classes` and calling it."""

    def form(class_name):
        def function(inputs, **kwargs):
            return classes[class_name](**kwargs)(inputs)

        function.__name__ = function.__qualname__ = class_name.lower()
        function.__doc__ = f"`fs.layers.{class_name.lower()}(inputs, **kwargs)`: a {class_name} called on `inputs`."
        return function

    def dot(inputs, axes=-1, **kwargs):
        """`fs.layers.dot(inputs, axes=-1, normalize=False)`: a Dot called on `inputs`."""
        return classes["Dot"](axes=axes, **kwargs)(inputs)

    return {**{name: form(class_name) for name, class_name in FUNCTIONS.items()}, "dot": dot}

"""Regularizers: `regularizer(x) -> scalar penalty`, written once against the backend's ops (`self.backend.ops`).

A layer adds its weights' penalties to its losses at each call (docs/SPEC.md 8d.9), its `activity_regularizer`'s on
its outputs divided by the batch size; the trainer adds the sum of `model.losses` to the loss.
"""

from __future__ import annotations

import math

import numpy as np

from fitspec import config_lookup
from fitspec.errors import invalid_argument
from fitspec.floatx import epsilon as fuzz


def check_factor(where: str, argument: str, value) -> float:
    """A non-negative finite number, as a float (None takes the default, as Keras)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < 0:
        raise invalid_argument(where, argument, "a non-negative float", value)
    return float(value)


def absolute(ops, x):
    """|x| as x * sign(x): the same value, and the subgradient 0 at x = 0 on every backend (jax.numpy.abs's
    gradient there is +1, TensorFlow's, PyTorch's and autograd's 0), so an L1 penalty on a zero-initialized bias
    trains alike everywhere."""
    return x * ops.sign(x)


class Regularizer:
    """`regularizer(x)`: a scalar tensor in x's dtype; the base penalises nothing."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _weight(self, value, x):
        ops = self.backend.ops
        return ops.cast(ops.convert_to_tensor(value), ops.dtype(x))

    def _l1_term(self, l1, x):
        """l1 * sum(|x|), in x's dtype."""
        ops = self.backend.ops
        return self._weight(l1, x) * ops.sum(absolute(ops, x))

    def _l2_term(self, l2, x):
        """l2 * sum(x^2), in x's dtype."""
        ops = self.backend.ops
        return self._weight(l2, x) * ops.sum(ops.square(x))


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2), each term only when its factor is nonzero; d|x|/dx = sign(x), 0 at 0."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = check_factor("L1L2", "l1", 0.0 if l1 is None else l1)
        self.l2 = check_factor("L1L2", "l2", 0.0 if l2 is None else l2)

    def __call__(self, x):
        ops = self.backend.ops
        x = ops.convert_to_tensor(x)
        penalty = self._weight(0.0, x)
        if self.l1 != 0.0:
            penalty = penalty + self._l1_term(self.l1, x)
        if self.l2 != 0.0:
            penalty = penalty + self._l2_term(self.l2, x)
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """l1 * sum(|x|); d|x|/dx = sign(x), 0 at 0."""

    def __init__(self, l1=0.01):
        self.l1 = check_factor("L1", "l1", 0.01 if l1 is None else l1)

    def __call__(self, x):
        return self._l1_term(self.l1, self.backend.ops.convert_to_tensor(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x^2)."""

    def __init__(self, l2=0.01):
        self.l2 = check_factor("L2", "l2", 0.01 if l2 is None else l2)

    def __call__(self, x):
        return self._l2_term(self.l2, self.backend.ops.convert_to_tensor(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """For a 2-D x whose rows (mode "rows") or columns ("columns") are scaled to unit norm,
    u_i = x_i * min(1 / ||x_i||, 1 / ε): factor * 0.5 * sum_{i != j} |u_i . u_j| / (n (n - 1) / 2),
    n the number of rows (columns): the mean |cosine| over pairs, times factor."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = check_factor("OrthogonalRegularizer", "factor", factor)
        if mode not in ("rows", "columns"):
            raise invalid_argument("OrthogonalRegularizer", "mode", "'rows' or 'columns'", mode)
        self.mode = mode

    def __call__(self, x):
        ops = self.backend.ops
        x = ops.convert_to_tensor(x)
        if len(ops.shape(x)) != 2:
            raise invalid_argument("OrthogonalRegularizer", "inputs", "a tensor of rank 2", x)
        if self.mode == "columns":
            x = ops.transpose(x)
        inverse_norm = ops.minimum(1.0 / ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True)), 1.0 / fuzz(ops))
        units = x * inverse_norm
        n = int(ops.shape(x)[0])
        off_diagonal = ops.convert_to_tensor(1.0 - np.eye(n), dtype=ops.dtype(x))
        cosines = ops.matmul(units, ops.transpose(units)) * off_diagonal
        pairs = n * (n - 1.0) / 2.0
        return self._weight(self.factor, x) * 0.5 * ops.sum(ops.abs(cosines)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


CLASSES = {cls.__name__: cls for cls in (L1, L2, L1L2, OrthogonalRegularizer)}
#: Keras's exported lower-case names of the same classes
ALIASES = {"l1": "L1", "l2": "L2", "l1_l2": "L1L2", "orthogonal_regularizer": "OrthogonalRegularizer"}
#: the strings Keras's `get` resolves: class names and their snake_case (note "l1l2", not "l1_l2")
STRING_NAMES = {"L1": "L1", "L2": "L2", "L1L2": "L1L2", "OrthogonalRegularizer": "OrthogonalRegularizer",
                "Regularizer": "Regularizer", "l1": "L1", "l2": "L2", "l1l2": "L1L2",
                "orthogonal_regularizer": "OrthogonalRegularizer", "regularizer": "Regularizer"}


def namespace(classes: dict, module: str, kind: str, names: dict, aliases: dict) -> dict:
    """`fs.regularizers` or `fs.constraints` from the backend's bound `classes` (the base included): the classes, the
    aliases, and `get` / `serialize` / `deserialize`."""

    def serialize(obj) -> dict:
        if not isinstance(obj, classes[kind]):
            raise invalid_argument(f"{module}.serialize", kind.lower(), f"a {kind}", obj)
        return config_lookup.serialize(obj, classes, module)

    lookup = {name: classes[class_name] for name, class_name in names.items()}

    def deserialize(config, custom_objects=None):
        return config_lookup.deserialize(config, lookup, custom_objects, f"{module}.deserialize", "config",
                                         f"a {kind.lower()}")

    def get(identifier):
        """None, an instance, a class, a name, a config dict or a callable."""
        if identifier is None:
            return None
        if isinstance(identifier, (str, dict)):
            return config_lookup.deserialize(identifier, lookup, None, f"{module}.get", "identifier",
                                             f"a {kind.lower()}")
        if isinstance(identifier, type):
            if issubclass(identifier, classes[kind]):
                return identifier()
        elif callable(identifier):
            return identifier
        raise invalid_argument(f"{module}.get", "identifier", f"a {kind}, its class, a name, a config dict or a "
                               "callable", identifier)

    return {**classes, **{alias: classes[name] for alias, name in aliases.items()},
            "get": get, "serialize": serialize, "deserialize": deserialize}

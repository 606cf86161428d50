"""Activation functions, written once against the Ops protocol: `f(ops, x, **options)`.

Keras 3's 30 functions and two aliases (`swish` = silu, `hard_swish` = hard_silu); each formula is in its
docstring and in docs/SPEC.md 5.4. `get` / `serialize` / `deserialize` resolve them by name.
"""

from __future__ import annotations

import functools
import math

from fitspec.errors import invalid_argument


def _activation(fn):
    """`fn(ops, x, ...)` with x converted by `ops.convert_to_tensor` first (a numpy array becomes the backend's)."""

    @functools.wraps(fn)
    def activation(ops, x, *args, **kwargs):
        return fn(ops, ops.convert_to_tensor(x), *args, **kwargs)

    return activation


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@_activation
def linear(ops, x):
    """x"""
    return x


@_activation
def relu(ops, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """min(x if x > threshold else 0, max_value) - negative_slope * max(threshold - x, 0) (Keras's three options);
    with the defaults max(x, 0)."""
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    negative_part = ops.relu(threshold - x if threshold != 0 else -x) if negative_slope != 0.0 else None
    out = ops.where(ops.greater(x, threshold), x, 0.0) if threshold != 0 else ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, max_value)
    return out if negative_part is None else out - negative_slope * negative_part


@_activation
def leaky_relu(ops, x, negative_slope=0.2):
    """x if x >= 0 else negative_slope * x"""
    return ops.leaky_relu(x, negative_slope=negative_slope)


@_activation
def relu6(ops, x):
    """min(max(x, 0), 6)"""
    return ops.clip(ops.relu(x), 0.0, 6.0)


@_activation
def sigmoid(ops, x):
    """1 / (1 + exp(-x))"""
    return ops.sigmoid(x)


@_activation
def tanh(ops, x):
    return ops.tanh(x)


@_activation
def softmax(ops, x, axis=-1):
    """exp(x - logsumexp(x, axis))"""
    return ops.softmax(x, axis=axis)


@_activation
def log_softmax(ops, x, axis=-1):
    """x - logsumexp(x, axis)"""
    return ops.log_softmax(x, axis=axis)


@_activation
def log_sigmoid(ops, x):
    """-softplus(-x)"""
    return ops.log_sigmoid(x)


@_activation
def exponential(ops, x):
    """exp(x)"""
    return ops.exp(x)


def _softplus(ops, x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), without overflow."""
    return ops.relu(x) + ops.log1p(ops.exp(-ops.abs(x)))


@_activation
def softplus(ops, x):
    """log(1 + exp(x))"""
    return _softplus(ops, x)


@_activation
def softsign(ops, x):
    """x / (1 + |x|)"""
    return x / (1.0 + ops.abs(x))


@_activation
def elu(ops, x, alpha=1.0):
    """x if x >= 0 else alpha (exp(x) - 1)"""
    return ops.where(ops.greater_equal(x, 0.0), x, alpha * ops.expm1(ops.minimum(x, 0.0)))


@_activation
def selu(ops, x):
    """scale * elu(x, alpha), alpha = 1.67326324..., scale = 1.05070098..."""
    return SELU_SCALE * elu(ops, x, SELU_ALPHA)


@_activation
def celu(ops, x, alpha=1.0):
    """max(x, 0) + alpha (exp(min(x, 0) / alpha) - 1)"""
    return ops.relu(x) + alpha * ops.expm1(ops.minimum(x, 0.0) / alpha)


@_activation
def gelu(ops, x, approximate=False):
    """x (1 + erf(x / sqrt 2)) / 2; approximate: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2"""
    if approximate:
        return 0.5 * x * (1.0 + ops.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))
    return x * (ops.erf(x / math.sqrt(2.0)) + 1.0) / 2.0


@_activation
def silu(ops, x):
    """x sigmoid(x) (also `swish`)"""
    return x * ops.sigmoid(x)


@_activation
def mish(ops, x):
    """x tanh(softplus(x))"""
    return x * ops.tanh(_softplus(ops, x))


@_activation
def hard_sigmoid(ops, x):
    """clip(x / 6 + 1/2, 0, 1)"""
    return ops.clip(x / 6.0 + 0.5, 0.0, 1.0)


@_activation
def hard_silu(ops, x):
    """x hard_sigmoid(x) (also `hard_swish`)"""
    return x * hard_sigmoid(ops, x)


@_activation
def hard_tanh(ops, x):
    """clip(x, -1, 1)"""
    return ops.clip(x, -1.0, 1.0)


@_activation
def hard_shrink(ops, x, threshold=0.5):
    """x if |x| > threshold else 0"""
    return ops.where(ops.greater(ops.abs(x), threshold), x, 0.0)


@_activation
def soft_shrink(ops, x, threshold=0.5):
    """x - threshold if x > threshold; x + threshold if x < -threshold; else 0"""
    return ops.where(ops.greater(x, threshold), x - threshold, ops.where(ops.less(x, -threshold), x + threshold, 0.0))


@_activation
def tanh_shrink(ops, x):
    """x - tanh(x)"""
    return x - ops.tanh(x)


@_activation
def threshold(ops, x, threshold, default_value):
    """x if x > threshold else default_value"""
    return ops.where(ops.greater(x, threshold), x, default_value)


@_activation
def sparse_plus(ops, x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1"""
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.less(x, 1.0), 0.25 * ops.square(x + 1.0), x))


@_activation
def sparse_sigmoid(ops, x):
    """0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1"""
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.greater_equal(x, 1.0), 1.0, 0.5 * (x + 1.0)))


@_activation
def squareplus(ops, x, b=4):
    """(x + sqrt(x^2 + b)) / 2"""
    return (x + ops.sqrt(ops.square(x) + b)) / 2.0


def _halves(ops, x, axis, where):
    size = ops.shape(x)[axis]
    if size % 2:
        raise invalid_argument(where, "x", f"an even size along axis {axis}", f"<shape {tuple(ops.shape(x))}>")
    before = (slice(None),) * (axis % len(ops.shape(x)))
    return x[(*before, slice(0, size // 2))], x[(*before, slice(size // 2, size))]


@_activation
def glu(ops, x, axis=-1):
    """a sigmoid(b), where a and b are the first and second halves of x along axis"""
    a, b = _halves(ops, x, axis, "glu")
    return a * ops.sigmoid(b)


@_activation
def sparsemax(ops, x, axis=-1):
    """max(x - tau, 0), tau = (sum of the support - 1) / |support|, the support those x_i with
    1 + r_i x_i > sum(x_j : x_j >= x_i), r_i = |{j : x_j >= x_i}| (the sorting rule, written without a sort)."""
    axis = axis % len(ops.shape(x))
    xi, xj = ops.expand_dims(x, axis + 1), ops.expand_dims(x, axis)  # [..., i, j, ...]
    above = ops.cast(ops.greater_equal(xj, xi), ops.dtype(x))
    rank = ops.sum(above, axis=axis + 1)
    cumulative = ops.sum(above * xj, axis=axis + 1)
    support = ops.cast(ops.greater(1.0 + rank * x, cumulative), ops.dtype(x))
    k = ops.sum(support, axis=axis, keepdims=True)
    tau = (ops.sum(support * x, axis=axis, keepdims=True) - 1.0) / k
    return ops.relu(x - tau)


ALL = {
    f.__name__: f
    for f in (relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus, soft_shrink,
              sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid, sparse_sigmoid, exponential,
              hard_sigmoid, hard_silu, hard_tanh, hard_shrink, linear, mish, log_softmax, log_sigmoid, sparsemax)
}
#: the second names Keras gives two of them
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
NAMES = sorted({*ALL, *ALIASES})


def by_name(name: str, ops, where="activations.get", argument="activation"):
    """The function called `name` (or an alias of it), with `ops` bound; `__name__` its canonical name."""
    fn = ALL.get(ALIASES.get(name, name))
    if fn is None:
        raise invalid_argument(where, argument, f"one of {NAMES}", name)
    bound = functools.partial(fn, ops)
    functools.update_wrapper(bound, fn)
    return bound


def _builtins() -> dict:
    """Every name a built-in activation goes by (its own and Keras's aliases) -> the function."""
    return {**ALL, **{alias: ALL[name] for alias, name in ALIASES.items()}}


def _bound_if_builtin(fn, ops):
    """A built-in found by `deserialize_function` bound to `ops`; any other function as it is."""
    name = next((n for n, builtin in ALL.items() if builtin is fn), None)
    return by_name(name, ops) if name is not None else fn


def get(identifier, ops):
    """A one-argument activation `f(x)` from None (linear), a name or alias, a registered name, a Keras config
    `{"class_name": "function", "config": name}`, or a callable."""
    if identifier is None:
        identifier = "linear"
    if isinstance(identifier, str) and ALIASES.get(identifier, identifier) in ALL:
        return by_name(identifier, ops)
    if isinstance(identifier, (str, dict)):
        from fitspec.saving.serialization import deserialize_function

        return _bound_if_builtin(deserialize_function(identifier, "activations.get", "activation",
                                                      builtins=_builtins()), ops)
    if callable(identifier):
        return identifier
    raise invalid_argument("activations.get", "activation", f"None, a callable or one of {NAMES}", identifier)


def builtin_name(fn) -> str | None:
    """The canonical name of a built-in activation (`swish` is `silu`), bound or not, else None."""
    name = getattr(fn, "__name__", None)
    if name not in ALL:
        return None
    builtin = ALL[name]
    return name if builtin in (fn, getattr(fn, "func", None), getattr(fn, "__wrapped__", None)) else None


def serialize(fn):
    """`fs.activations.serialize` and the form in layer configs: a built-in's name, as Keras gives it, else the
    function's Keras config by its registered name (an unregistered function is an error naming it)."""
    name = builtin_name(fn)
    if name is not None:
        return name
    from fitspec.saving.serialization import serialize_keras_object

    try:
        return serialize_keras_object(fn)
    except ValueError as error:  # a lambda or partial: nothing a config could name
        raise invalid_argument("activations.serialize", "activation", f"one of {NAMES} or a named function (a "
                               "lambda or a partial cannot be rebuilt from a config: register a function with "
                               "@fs.saving.register_keras_serializable())", fn) from error


def deserialize(config, ops, custom_objects=None):
    """An activation from its name or Keras's `{"class_name": "function", "config": name}`: `custom_objects`, the
    registered functions, then the built-ins."""
    from fitspec.saving.serialization import deserialize_function

    return _bound_if_builtin(deserialize_function(config, "activations.deserialize", "config",
                                                  custom_objects=custom_objects, builtins=_builtins()), ops)

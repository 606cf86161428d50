"""Attention layers: MultiHeadAttention, GroupQueryAttention, Attention and AdditiveAttention (docs/SPEC.md 8d.A).

Masks are call arguments, as in Keras (`query_mask`, `value_mask`, `key_mask`, `attention_mask`;
`mask=[query_mask, value_mask]`), filled from the inputs' propagated masks by the mask protocol (fitspec.masking);
True (non-zero) attends. The output carries the query's mask (docs/SPEC.md 8d.A7). The multi-head layers compute Keras's
explicit path: scores = einsum(key, query * 1/sqrt(key_dim)), Keras's masked softmax (below), dropout
on the scores from fitspec's generator, then the weighted sum of the values and the output projection.
"""

from __future__ import annotations

import math
import string

import numpy as np

from fitspec import masking
from fitspec.errors import invalid_argument
from fitspec.layers import weight_arguments
from fitspec.layers.layer import Layer
from fitspec.layers.regularization import seed_generator
from fitspec.random import check_seed


def large_negative(dtype: str) -> float:
    """What Keras's Softmax puts on masked scores: -3e4 in float16, else -1e9."""
    return -3e4 if dtype == "float16" else -1e9


def masked_softmax(ops, scores, mask, axes):
    """Keras's Softmax layer with a mask: where(mask, scores, large_negative) (a non-bool mask attends where
    > 0.5), the softmax over `axes` (several: exp(x - logsumexp(x))), then 0 where the mask is False, so a row
    with no key to attend to is all 0."""
    dtype = ops.dtype(scores)
    if mask is not None:
        if ops.dtype(mask) != "bool":
            mask = ops.greater(mask, ops.cast(ops.full((), 0.5), ops.dtype(mask)))
        scores = ops.where(mask, scores, ops.full((), large_negative(dtype), dtype=dtype))
    if len(axes) > 1:
        weights = ops.exp(scores - ops.logsumexp(scores, axis=tuple(axes), keepdims=True))
    else:
        weights = ops.softmax(scores, axis=axes[0])
    if mask is not None:
        weights = ops.where(mask, weights, ops.zeros_like(weights))
    return weights


def causal_mask(ops, query_length: int, value_length: int):
    """(1, T, S) bool: query position i attends to key positions j <= i."""
    return ops.convert_to_tensor(np.tril(np.ones((1, query_length, value_length), dtype=bool)), dtype="bool")


def sliding_window_mask(ops, query_length: int, value_length: int, window: int):
    """(1, T, S) bool: |i - j| < window."""
    band = np.abs(np.arange(query_length)[:, None] - np.arange(value_length)[None, :]) < window
    return ops.convert_to_tensor(band[None], dtype="bool")


def as_bool(ops, mask):
    """A mask as bool: non-zero attends (keras.ops.cast(mask, "bool"))."""
    mask = ops.convert_to_tensor(mask)
    return mask if ops.dtype(mask) == "bool" else ops.cast(mask, "bool")


def combine_masks(ops, query, value, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
                  use_causal_mask=False, sliding_window=None):
    """The (B, T, S) mask the multi-head layers attend by (None: every position): the query mask (B, T, 1), the
    value and key masks (B, 1, S), the causal mask and the sliding window (1, T, S) and `attention_mask`, all
    combined by logical and."""
    masks = []
    if query_mask is not None:
        masks.append(ops.expand_dims(as_bool(ops, query_mask), -1))
    for mask in (value_mask, key_mask):
        if mask is not None:
            masks.append(ops.expand_dims(as_bool(ops, mask), -2))
    query_length, value_length = ops.shape(query)[1], ops.shape(value)[1]
    if use_causal_mask:
        masks.append(causal_mask(ops, query_length, value_length))
    if sliding_window is not None:
        masks.append(sliding_window_mask(ops, query_length, value_length, sliding_window))
    if attention_mask is not None:
        masks.insert(0, as_bool(ops, attention_mask))
    if not masks:
        return None
    combined = masks[0]
    for mask in masks[1:]:
        combined = ops.logical_and(combined, mask)
    return combined


def projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """(equation, bias_axes, output rank) of a projection: the free axes pass through, the bound axes are
    contracted with the kernel, which makes the output axes (letters a, b, ... in that order, as Keras names
    them)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def attention_equations(rank: int, attention_axes: tuple) -> tuple[str, str, int]:
    """(query-key product, combination, scores rank) for projected tensors of `rank` (batch, ..., heads, channels):
    scores (<batch axes and heads>, <query attention axes>, <key attention axes>)."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    new = iter(letters[rank:])
    source = "".join(target[i] if i in batch or i == rank - 1 else next(new) for i in range(rank))
    product = "".join([target[i] for i in batch] + [target[i] for i in attention_axes]
                      + [source[i] for i in attention_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _positive_int(where, argument, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise invalid_argument(where, argument, "a positive int" + (" or None" if allow_none else ""), value)
    return int(value)


def _dropout_rate(where, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 <= value < 1:
        raise invalid_argument(where, "dropout", "a float in [0, 1)", value)
    return float(value)


def _flag(where, argument, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise invalid_argument(where, argument, "a bool", value)
    return bool(value)


def _unpack_shapes(query_shape, value_shape, key_shape):
    """build's shapes; a list of shapes as the one argument (a saved build_config) is (query, value[, key])."""
    if value_shape is None and query_shape and isinstance(query_shape[0], (list, tuple)):
        query_shape, value_shape, key_shape = (*query_shape, None)[:3]
    return query_shape, value_shape, key_shape


class _MultiHead(Layer):
    """What MultiHeadAttention and GroupQueryAttention share: the sublayer arguments, the build on the first call
    (whose arguments give query, value and key shapes), the masked softmax and the dropout of the scores."""

    #: the constructor arguments MultiHeadAttention and GroupQueryAttention share, read by `_common_init`
    _COMMON_ARGUMENTS = ("dropout", "use_bias", "sliding_window", "flash_attention", "kernel_initializer",
                         "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                         "kernel_constraint", "bias_constraint", "use_gate", "seed")

    def _common_init(self, where, arguments: dict):
        """Check and keep the shared constructor arguments, taken by name from `arguments` (the subclass's
        `locals()`, so each signature lists Keras's arguments once)."""
        a = {name: arguments[name] for name in self._COMMON_ARGUMENTS}
        self.dropout = _dropout_rate(where, a["dropout"])
        self.use_bias = _flag(where, "use_bias", a["use_bias"])
        self.use_gate = _flag(where, "use_gate", a["use_gate"])
        self.sliding_window = _positive_int(where, "sliding_window", a["sliding_window"], allow_none=True)
        if a["flash_attention"] not in (None, False):
            raise invalid_argument(where, "flash_attention", "None or False (fitspec computes attention explicitly, "
                                   "docs/SPEC.md 8d.A2)", a["flash_attention"])
        self.seed = None if a["seed"] is None else check_seed(where, a["seed"])
        weight_arguments.take(self, "kernel", a["kernel_initializer"], a["kernel_regularizer"],
                              a["kernel_constraint"])
        weight_arguments.take(self, "bias", a["bias_initializer"], a["bias_regularizer"], a["bias_constraint"])
        self.sublayer_activity_regularizer = self._regularizer(a["activity_regularizer"])
        self._projections_built = False

    def _projection(self, equation, output_shape, bias_axes, name, activation=None):
        """An EinsumDense sublayer with this layer's initializers (each a fresh clone), regularizers, constraints."""
        layer = self.backend.api.layers.EinsumDense(
            equation, output_shape=output_shape, bias_axes=bias_axes if self.use_bias else None, name=name,
            activation=activation, kernel_initializer=self.kernel_initializer.clone(),
            bias_initializer=self.bias_initializer.clone(), kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer, activity_regularizer=self.sublayer_activity_regularizer,
            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint, dtype=self._dtype)
        layer.supports_masking = True  # a masked query or value passes through silently (only this layer's output
        return layer                   # mask leaves it); Keras's GroupedQueryAttention warns from its EinsumDense

    def _finish_build(self):
        """The projections' weights under this layer's name (`<name>/query/kernel`, as Keras's paths: unique when a
        model has several attention layers, for the optimizer's slots and the saved file)."""
        for variable in self.weights:
            if not variable.path.startswith(f"{self.name}/"):
                variable.path = f"{self.name}/{variable.path}"
        self._projections_built = True
        self.built = True

    def _make_dropout(self):
        self._dropout_layer = self.backend.api.layers.Dropout(rate=self.dropout, seed=self.seed, dtype=self._dtype)

    def _common_config(self) -> dict:
        serialize = self.backend.api.regularizers.serialize
        config = {
            "dropout": self.dropout, "use_bias": self.use_bias, "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            **weight_arguments.config(self, "kernel", "bias"),
            "activity_regularizer": None if self.sublayer_activity_regularizer is None else serialize(
                self.sublayer_activity_regularizer),
            "seed": self.seed,
        }
        return config

    def _inputs(self, query, value, key):
        """query, value, key (key defaults to value) as tensors of the layer's dtype, the projections built."""
        value = self._convert_input(value)
        key = value if key is None else self._convert_input(key)
        shapes = [tuple(self.ops.shape(t)) for t in (query, value, key)]
        for name, shape in zip(("query", "value", "key"), shapes):
            if len(shape) < 3:
                raise invalid_argument(self.name, name, "a tensor of rank >= 3 (batch, ..., features)",
                                       f"<shape {shape}>")
        if shapes[1][1:-1] != shapes[2][1:-1]:
            raise invalid_argument(self.name, "key", f"the dimensions of value but the last ({shapes[1][1:-1]})",
                                   f"<shape {shapes[2]}>")
        if not self._projections_built:
            self.build(*shapes)
        return value, key

    def _heads(self, x):
        """The projected keys or values as the query heads use them (GroupQueryAttention repeats them)."""
        return x

    def compute_mask(self, query, mask=None):
        """The output's mask: the query's (Keras 3's: its output steps are the query's)."""
        return mask

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        """attention_output(einsum(weights, values) [* gate]), weights = the masked softmax of einsum(keys,
        queries * scale), dropped out in training; with return_attention_scores also the weights before dropout."""
        ops = self.ops
        if self._clears_input_masks:
            for tensor in (query, value, key):
                masking.set_mask(tensor, None)
        value, key = self._inputs(query, value, key)
        mask = combine_masks(ops, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
                             self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        projected_query = self._query_dense(query) * self._scale
        projected_key, projected_value = self._heads(self._key_dense(key)), self._heads(self._value_dense(value))
        scores = ops.einsum(self._scores_equation, projected_key, projected_query) if self._key_first else ops.einsum(
            self._scores_equation, projected_query, projected_key)
        if mask is not None:
            while len(ops.shape(mask)) < len(ops.shape(scores)):
                mask = ops.expand_dims(mask, self._mask_axis)
        scores = masked_softmax(ops, scores, mask, self._softmax_axes)
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0 else scores
        output = ops.einsum(self._combine_equation, dropped, projected_value)
        output = self._output_dense(output if gate is None else output * gate)
        return (output, scores) if return_attention_scores else output


class MultiHeadAttention(_MultiHead):
    """Keras 3's MultiHeadAttention: query, key and value projected by EinsumDense (`query`, `key`, `value`: kernels
    (dim, num_heads, key_dim or value_dim), biases (num_heads, ...)), scaled dot-product attention over
    `attention_axes` per head, projected back by `attention_output` (kernel (num_heads, value_dim, *output_shape)).
    Weights in Keras's order: query, key, [gate,] value, attention_output, each kernel then bias."""

    _key_first = True
    #: Keras 3's MultiHeadAttention takes the masks off query, value and key in its call: a later layer given
    #: those tensors (a residual Add) sees them unmasked
    _clears_input_masks = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        where = "MultiHeadAttention"
        self.num_heads = _positive_int(where, "num_heads", num_heads)
        self.key_dim = _positive_int(where, "key_dim", key_dim)
        self.value_dim = _positive_int(where, "value_dim", value_dim, allow_none=True) or self.key_dim
        if output_shape:
            if isinstance(output_shape, (int, np.integer)) and not isinstance(output_shape, bool):
                output_shape = (output_shape,)
            if not isinstance(output_shape, (list, tuple)) or any(
                    isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d <= 0 for d in output_shape):
                raise invalid_argument(where, "output_shape", "an int or a tuple of positive ints, or None",
                                       output_shape)
            output_shape = tuple(int(d) for d in output_shape)
        self._output_shape = output_shape or None
        if isinstance(attention_axes, (int, np.integer)) and not isinstance(attention_axes, bool):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None and (not isinstance(attention_axes, (list, tuple)) or any(
                isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in attention_axes)):
            raise invalid_argument(where, "attention_axes", "an int, a tuple of ints or None", attention_axes)
        self.attention_axes = None if attention_axes is None else tuple(int(a) for a in attention_axes)
        self._common_init(where, locals())
        self._scale = 1.0 / math.sqrt(float(self.key_dim))

    def build(self, query_shape, value_shape=None, key_shape=None):
        """The projections, from the shapes of query, value and key (key: value's by default). The first call
        builds them from its arguments: a build from the query's shape alone (Layer's) waits for it."""
        query_shape, value_shape, key_shape = _unpack_shapes(query_shape, value_shape, key_shape)
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise invalid_argument(self.name, "key", f"the dimensions of value but the last ({value_shape})",
                                   f"<shape {tuple(key_shape)}>")
        query_rank, value_rank, key_rank = len(query_shape), len(value_shape), len(key_shape)
        rank = query_rank + 1  # of the projected tensors: (batch, ..., heads, channels)
        axes = tuple(range(1, rank - 2)) if self.attention_axes is None else tuple(
            a if a >= 0 else rank - 1 + a for a in self.attention_axes)
        if any(not 0 < a < rank - 2 for a in axes):
            raise invalid_argument(self.name, "attention_axes", f"axes of the query's inner dimensions (1 to "
                                   f"{query_rank - 2}, or negative)", self.attention_axes)

        def projection(rank_of_input, heads_dims, name, activation=None):
            equation, bias_axes, output_rank = projection_equation(rank_of_input - 1, 1, 2)
            return self._projection(equation, [None] * (output_rank - 3) + list(heads_dims), bias_axes, name,
                                    activation)

        self._query_dense = projection(query_rank, (self.num_heads, self.key_dim), "query")
        self._query_dense.build(tuple(query_shape))
        self._key_dense = projection(key_rank, (self.num_heads, self.key_dim), "key")
        self._key_dense.build(tuple(key_shape))
        if self.use_gate:
            self._gate_dense = projection(query_rank, (self.num_heads, self.value_dim), "gate", "sigmoid")
            self._gate_dense.build(tuple(query_shape))
        self._value_dense = projection(value_rank, (self.num_heads, self.value_dim), "value")
        self._value_dense.build(tuple(value_shape))
        self.attention_axes = axes  # normalized, as Keras's config shows it once built
        self._scores_equation, self._combine_equation, scores_rank = attention_equations(rank, axes)
        self._softmax_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._mask_axis = -len(axes) * 2 - 1  # masks gain the heads axis (and any other) before the attention axes
        self._make_dropout()
        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, output_rank = projection_equation(query_rank - 1, 2, len(output_shape))
        self._output_dense = self._projection(equation, [None] * (output_rank - 1 - len(output_shape))
                                              + list(output_shape), bias_axes, "attention_output")
        self._output_dense.build((*query_shape[:-1], self.num_heads, self.value_dim))
        self._finish_build()

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None and key_shape is not None and tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise invalid_argument(self.name, "key", f"the dimensions of value but the last ({tuple(value_shape)})",
                                   f"<shape {tuple(key_shape)}>")
        return query_shape[:-1] + self._output_shape if self._output_shape else query_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, **self._common_config(),
                "output_shape": None if self._output_shape is None else list(self._output_shape),
                "attention_axes": None if self.attention_axes is None else list(self.attention_axes)}


class GroupQueryAttention(_MultiHead):
    """Keras 3's GroupQueryAttention (its class GroupedQueryAttention): num_query_heads query heads share
    num_key_value_heads key and value heads (each repeated num_query_heads // num_key_value_heads times, head k
    serving query heads k*r ... k*r + r - 1), all of head_dim; the output projected back to the query's features.
    Weights: query (dim, num_query_heads, head_dim), key and value (dim, num_key_value_heads, head_dim),
    attention_output (num_query_heads, head_dim, dim), each kernel then bias."""

    _key_first = False
    _clears_input_masks = False  # Keras's GroupedQueryAttention leaves its inputs' masks on them
    _scores_equation, _combine_equation, _softmax_axes, _mask_axis = "bquh,bkuh->buqk", "buqk,bkuh->bquh", (-1,), -3

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        where = "GroupQueryAttention"
        self.head_dim = _positive_int(where, "head_dim", head_dim)
        self.num_query_heads = _positive_int(where, "num_query_heads", num_query_heads)
        self.num_key_value_heads = _positive_int(where, "num_key_value_heads", num_key_value_heads)
        if self.num_query_heads % self.num_key_value_heads:
            raise invalid_argument(where, "num_key_value_heads", f"a divisor of num_query_heads "
                                   f"({self.num_query_heads})", num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self._common_init(where, locals())
        self._scale = 1.0 / math.sqrt(float(self.head_dim))

    def build(self, query_shape, value_shape=None, key_shape=None):
        """As MultiHeadAttention's: the projections once the value's shape is known."""
        query_shape, value_shape, key_shape = _unpack_shapes(query_shape, value_shape, key_shape)
        if value_shape is None:
            return
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise invalid_argument(self.name, name, "a tensor of rank 3 (batch, length, features)",
                                       f"<shape {tuple(shape)}>")
        self.feature_dim = query_shape[-1]
        heads, kv_heads = (None, self.num_query_heads, self.head_dim), (None, self.num_key_value_heads, self.head_dim)
        self._query_dense = self._projection("bqm,muh->bquh", heads, "uh", "query")
        self._query_dense.build(tuple(query_shape))
        self._key_dense = self._projection("bkm,mvh->bkvh", kv_heads, "vh", "key")
        self._key_dense.build(tuple(key_shape))
        if self.use_gate:
            self._gate_dense = self._projection("bqm,muh->bquh", heads, "uh", "gate", "sigmoid")
            self._gate_dense.build(tuple(query_shape))
        self._value_dense = self._projection("bkm,mvh->bkvh", kv_heads, "vh", "value")
        self._value_dense.build(tuple(value_shape))
        self._make_dropout()
        self._output_dense = self._projection("bquh,uhm->bqm", (None, self.feature_dim), "m", "attention_output")
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))
        self._finish_build()

    def _heads(self, x):
        """(B, S, K, H) -> (B, S, K*r, H), each head r times in a row (keras.ops.repeat along axis 2)."""
        if self.num_repeats == 1:
            return x
        return self.ops.take(x, np.repeat(np.arange(self.num_key_value_heads), self.num_repeats), axis=2)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is not None and query_shape[-1] != value_shape[-1]:
            raise invalid_argument(self.name, "value", f"a last dimension of {query_shape[-1]} (the query's)",
                                   f"<shape {tuple(value_shape)}>")
        return tuple(query_shape)

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, **self._common_config()}


class Attention(Layer):
    """Keras 3's Attention (Luong): inputs [query, value] or [query, value, key] (key: value by default).

    scores: "dot" query @ key^T (times `scale` with use_scale); "concat" concat_score_weight *
    sum(tanh(scale * (query_i + key_j))) over features. Masked scores (value mask (B, Tv), the causal mask) lose
    1e9 (65504 in float16); weights = softmax over the keys, dropped out in training (then returned so); output =
    weights @ value, 0 where the query mask is False. Weights: `scale` (), then `concat_score_weight` (), both ones.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.use_scale = _flag(where, "use_scale", use_scale)
        if score_mode not in ("dot", "concat"):
            raise invalid_argument(where, "score_mode", "one of {'dot', 'concat'}", score_mode)
        self.score_mode = score_mode
        self.dropout = _dropout_rate(where, dropout)
        self.seed = None if seed is None else check_seed(where, seed)
        if self.dropout > 0:
            self.seed_generator = seed_generator(self, where)

    def _validate(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            received = f"<a list of {len(inputs)}>" if isinstance(inputs, (list, tuple)) else "<one tensor>"
            raise invalid_argument(self.name, "inputs", "a list [query, value] or [query, value, key]", received)
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            received = f"<a list of {len(mask)}>" if isinstance(mask, (list, tuple)) else "<one tensor>"
            raise invalid_argument(self.name, "mask", "a list [query_mask, value_mask]", received)

    def build(self, input_shape):
        self._validate(input_shape)
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight") if (
            self.score_mode == "concat") else None

    def _scores(self, query, key):
        ops = self.ops
        if self.score_mode == "dot":
            rank = len(ops.shape(key))
            scores = ops.matmul(query, ops.transpose(key, (*range(rank - 2), rank - 1, rank - 2)))
            return scores * self.scale.value if self.scale is not None else scores
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            pairs = self.scale.value * pairs
        return self.concat_score_weight.value * ops.sum(ops.tanh(pairs), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate(inputs, mask)
        ops = self.ops
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = (mask[0], mask[1]) if mask else (None, None)
        scores = self._scores(query, key)
        scores_mask = None if value_mask is None else as_bool(ops, value_mask)
        if use_causal_mask:
            shape = ops.shape(scores)
            causal = causal_mask(ops, shape[-2], shape[-1])
            scores_mask = causal if scores_mask is None else ops.logical_and(ops.expand_dims(scores_mask, -2), causal)
        if scores_mask is not None:
            if len(ops.shape(scores_mask)) == 2:
                scores_mask = ops.expand_dims(scores_mask, -2)
            penalty = 65504.0 if ops.dtype(scores) == "float16" else 1.0e9
            scores = ops.where(scores_mask, scores, scores - penalty)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = self.backend.api.random.dropout(weights, self.dropout, seed=self.seed_generator)
        output = ops.matmul(weights, value)
        if query_mask is not None:
            keep = ops.expand_dims(as_bool(ops, query_mask), -1)
            output = ops.where(keep, output, ops.zeros_like(output))
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        """The output's mask: the query's (mask[0]), or None."""
        self._validate(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return self.ops.convert_to_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Keras 3's AdditiveAttention (Bahdanau): scores = sum(scale * tanh(query_i + key_j)) over features, `scale`
    (dim,) GlorotUniform (with use_scale; else 1); masks, softmax, dropout and output as Attention's."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        dim = input_shape[0][-1]
        if dim is None:
            raise invalid_argument(self.name, "inputs", "a query of known last dimension", f"<shapes {input_shape}>")
        self.scale = self.add_weight((dim,), "glorot_uniform", name="scale") if self.use_scale else None

    def _scores(self, query, key):
        ops = self.ops
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        return ops.sum(self.scale.value * pairs if self.use_scale else pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


CLASSES = {cls.__name__: cls for cls in (MultiHeadAttention, GroupQueryAttention, Attention, AdditiveAttention)}

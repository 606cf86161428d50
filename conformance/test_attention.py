"""EinsumDense and the attention layers: weights (Keras's names, shapes, order), values against numpy formulas, mask
semantics (hypothesis), causality, shapes (eager, compute_output_shape, symbolic), configs, save round trips and bad
arguments, on every backend (docs/SPEC.md 8d.A)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.assertions import assert_refused_by_name
from conformance.test_layers import saves_and_loads
from conformance.test_layers_merging_reshaping_noise_normalization import numpy_of, rand, tolerance


def once(precision):
    """Shapes, configs, weight names and errors do not depend on the precision: checked in float64 only (JAX compiles
    every op anew for each dtype)."""
    if precision == "float32":
        pytest.skip("dtype-independent: checked in float64")


def padding_mask(rng, batch, length):
    """(batch, length) bool rows of a random prefix of Trues (at least one)."""
    return np.arange(length)[None, :] < rng.integers(1, length + 1, size=batch)[:, None]


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- EinsumDense ----------------------------------------------------------------------------------------------------
EINSUM_SHAPES = [  # (equation, output_shape, bias_axes, input shape, kernel shape, bias shape, output shape)
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,), (2, 4)),
    ("abc,cd->abd", (None, 5), "d", (2, 3, 4), (4, 5), (5,), (2, 3, 5)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 4), (4, 2, 3), (2, 3), (2, 3, 2, 3)),
    ("abc,cde->abde", (None, 2, 3), "d", (2, 3, 4), (4, 2, 3), (2, 1), (2, 3, 2, 3)),
    ("abcd,cde->abe", (3, 5), "e", (2, 3, 2, 4), (2, 4, 5), (5,), (2, 3, 5)),
    ("...b,bc->...c", 4, "c", (2, 3, 5, 3), (3, 4), (4,), (2, 3, 5, 4)),
    ("ab...,bc->ac...", 4, "c", (2, 3, 2), (3, 4), (4, 1), (2, 4, 2)),
]


@pytest.mark.parametrize(("equation", "output_shape", "bias_axes", "input_shape", "kernel", "bias", "out"),
                         EINSUM_SHAPES)
def test_einsum_dense_weights_shapes_and_values_are_keras(fs, precision, equation, output_shape, bias_axes,
                                                          input_shape, kernel, bias, out):
    layer = fs.layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes,
                                  bias_initializer="random_normal", activation="relu")
    x = rand(*input_shape, seed=1)
    y = numpy_of(fs, layer(x))
    assert [v.path.split("/")[-1] for v in layer.weights] == ["kernel", "bias"]
    assert [tuple(v.shape) for v in layer.weights] == [kernel, bias]
    computed = tuple(layer.compute_output_shape(input_shape))  # Keras's: None where output_shape has None
    assert y.shape == out and len(computed) == len(out) and all(c in (None, o) for c, o in zip(computed, out))
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, np.maximum(np.einsum(equation, x, w) + b, 0), **tolerance(precision))
    symbolic = layer.__class__(equation, output_shape=output_shape, bias_axes=bias_axes)(
        fs.Input(shape=input_shape[1:]))
    assert tuple(symbolic.shape) == (None, *out[1:])


def test_einsum_dense_counts_glorot_fans_over_the_contracted_and_produced_axes(fs, precision):
    """Keras: a VarianceScaling kernel initializer without fan axes takes the equation's."""
    once(precision)
    layer = fs.layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 16),
                                  kernel_initializer=fs.initializers.GlorotUniform(seed=3))
    layer.build((None, 3, 4))
    expected = fs.initializers.GlorotUniform(seed=3, input_axes=[0], output_axes=[1, 2])((4, 8, 16),
                                                                                                  dtype=layer.dtype)
    np.testing.assert_array_equal(layer.get_weights()[0], expected)
    assert np.abs(layer.get_weights()[0]).max() <= math.sqrt(6 / (4 + 128))


def test_einsum_dense_config_round_trips(fs, precision):
    once(precision)
    layer = fs.layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="d", activation="relu",
                                  kernel_regularizer="l2", name="ffn")
    config = layer.get_config()
    assert {k: config[k] for k in ("equation", "output_shape", "bias_axes", "name")} == {
        "equation": "abc,cd->abd", "output_shape": [None, 5], "bias_axes": "d", "name": "ffn"}
    again = fs.layers.EinsumDense.from_config(config)
    assert again.get_config() == config


# -- MultiHeadAttention ---------------------------------------------------------------------------------------------
def multi_head_reference(weights, query, value, key, mask, heads, key_dim, value_dim):
    """The textbook formula per head, in numpy: softmax(q k^T / sqrt(key_dim)) masked as Keras's Softmax."""
    qk, qb, kk, kb, vk, vb, ok, ob = weights
    q = np.einsum("btf,fnh->btnh", query, qk) + qb
    k = np.einsum("bsf,fnh->bsnh", key, kk) + kb
    v = np.einsum("bsf,fnh->bsnh", value, vk) + vb
    scores = np.einsum("btnh,bsnh->bnts", q / math.sqrt(key_dim), k)
    if mask is not None:
        scores = np.where(mask[:, None], scores, -1e9)
    weights_ = softmax(scores)
    if mask is not None:
        weights_ = np.where(mask[:, None], weights_, 0.0)
    out = np.einsum("bnts,bsnh->btnh", weights_, v)
    return np.einsum("btnh,nho->bto", out, ok) + ob, weights_


def test_multi_head_attention_has_keras_weights_in_keras_order(fs, precision):
    once(precision)
    layer = fs.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=5)
    layer(rand(2, 3, 6), rand(2, 4, 7), rand(2, 4, 8))
    assert [v.path for v in layer.weights] == [f"{layer.name}/{n}/{w}" for n in ("query", "key", "value",
                                                                              "attention_output")
                                               for w in ("kernel", "bias")]
    assert [tuple(v.shape) for v in layer.weights] == [(6, 2, 3), (2, 3), (8, 2, 3), (2, 3), (7, 2, 4), (2, 4),
                                                       (2, 4, 5), (5,)]


#: shapes fixed per example set: JAX compiles each op for each new shape (shapes vary in the numpy gradient checks)
@settings(max_examples=5, deadline=None, derandomize=True)
@given(heads=st.sampled_from([1, 2]), masked=st.booleans(), causal=st.booleans(), seed=st.integers(0, 2**16))
def test_multi_head_attention_is_the_per_head_formula(fs, precision, heads, masked, causal, seed):
    rng = np.random.default_rng(seed)
    t, s, key_dim = 3, 4, 2
    query, value, key = rng.normal(size=(2, t, 3)), rng.normal(size=(2, s, 2)), rng.normal(size=(2, s, 4))
    layer = fs.layers.MultiHeadAttention(heads, key_dim, value_dim=2, bias_initializer="random_normal")
    kwargs, mask = {"use_causal_mask": causal}, np.ones((2, t, s), dtype=bool)
    if masked:
        kwargs["value_mask"] = value_mask = padding_mask(rng, 2, s)
        kwargs["attention_mask"] = attention_mask = rng.random((2, t, s)) < 0.8
        mask = mask & value_mask[:, None, :] & attention_mask
    if causal:
        mask = mask & np.tril(np.ones((t, s), dtype=bool))[None]
    out, scores = layer(query, value, key, return_attention_scores=True, **kwargs)
    expected, expected_scores = multi_head_reference(layer.get_weights(), query, value, key,
                                                     mask if (masked or causal) else None, heads, key_dim, 2)
    np.testing.assert_allclose(numpy_of(fs, scores), expected_scores, **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, out), expected, **tolerance(precision))


@settings(max_examples=6, deadline=None, derandomize=True)
@given(name=st.sampled_from(["MultiHeadAttention", "GroupQueryAttention", "Attention", "AdditiveAttention"]),
       seed=st.integers(0, 2**16))
def test_a_masked_key_never_receives_weight(fs, precision, name, seed):
    once(precision)
    rng = np.random.default_rng(seed)
    length = 4
    query, value = rng.normal(size=(3, length, 4)), rng.normal(size=(3, length, 4))
    value_mask = padding_mask(rng, 3, length)
    if name in ("Attention", "AdditiveAttention"):
        layer = getattr(fs.layers, name)()
        _, scores = layer([query, value], mask=[None, value_mask], return_attention_scores=True)
    else:
        layer = fs.layers.MultiHeadAttention(2, 2) if name == "MultiHeadAttention" else \
            fs.layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
        _, scores = layer(query, value, value_mask=value_mask, return_attention_scores=True)
    scores = numpy_of(fs, scores)  # (batch, [heads,] T, S)
    masked = ~value_mask.reshape(3, *([1] * (scores.ndim - 2)), length)
    assert np.all(np.broadcast_to(scores, scores.shape)[np.broadcast_to(masked, scores.shape)] == 0)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-6)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(name=st.sampled_from(["MultiHeadAttention", "GroupQueryAttention", "Attention", "AdditiveAttention"]),
       data=st.data())
def test_causal_output_at_t_is_independent_of_inputs_after_t(fs, precision, name, data):
    once(precision)
    length = 5
    t = data.draw(st.integers(0, length - 2), label="t")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, length, 4))
    changed = x.copy()
    changed[:, t + 1:] = rng.normal(size=changed[:, t + 1:].shape) * 3
    if name in ("Attention", "AdditiveAttention"):
        layer = getattr(fs.layers, name)()

        def run(inputs):
            return numpy_of(fs, layer([inputs, inputs], use_causal_mask=True))
    else:
        layer = fs.layers.MultiHeadAttention(2, 3) if name == "MultiHeadAttention" else \
            fs.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)

        def run(inputs):
            return numpy_of(fs, layer(inputs, inputs, use_causal_mask=True))
    before, after = run(x), run(changed)
    np.testing.assert_allclose(after[:, :t + 1], before[:, :t + 1], **tolerance(precision))
    assert not np.allclose(after[:, t + 1:], before[:, t + 1:])


def test_a_query_row_with_no_key_to_attend_is_zero_before_the_output_projection(fs, precision):
    """Keras's Softmax layer: weights 0 where masked, so a fully masked query row attends to nothing."""
    once(precision)
    layer = fs.layers.MultiHeadAttention(2, 2, use_bias=False)
    query_mask = np.array([[True, False, True]])
    out, scores = layer(rand(1, 3, 4), rand(1, 3, 4), query_mask=query_mask, return_attention_scores=True)
    assert np.all(numpy_of(fs, scores)[0, :, 1] == 0) and np.all(numpy_of(fs, out)[0, 1] == 0)


def test_multi_head_attention_dropout_acts_only_in_training(fs, precision):
    once(precision)
    layer = fs.layers.MultiHeadAttention(2, 2, dropout=0.5, seed=4)
    x = rand(2, 3, 4)
    inference = numpy_of(fs, layer(x, x))
    np.testing.assert_array_equal(numpy_of(fs, layer(x, x, training=False)), inference)
    assert not np.allclose(numpy_of(fs, layer(x, x, training=True)), inference)


SHAPES = [  # (layer, kwargs, call inputs without batch, call kwargs, output shape, scores shape)
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [(4, 5), (6, 7)], {}, (4, 5), (2, 4, 6)),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}, [(2, 3, 5), (2, 3, 5)], {},
     (2, 3, 5), (2, 2, 3, 2, 3)),
    ("GroupQueryAttention", {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2}, [(3, 5), (6, 5)], {},
     (3, 5), (4, 3, 6)),
]


@pytest.mark.parametrize(("name", "kwargs", "shapes", "call", "out", "scores"), SHAPES)
def test_multi_head_shapes_eager_computed_and_symbolic(fs, precision, name, kwargs, shapes, call, out, scores):
    once(precision)
    layer = getattr(fs.layers, name)(**kwargs)
    result, weights = layer(*[rand(2, *s) for s in shapes], return_attention_scores=True, **call)
    assert numpy_of(fs, result).shape == (2, *out) and numpy_of(fs, weights).shape == (2, *scores)
    assert tuple(layer.compute_output_shape(*[(2, *s) for s in shapes])) == (2, *out)
    symbolic = getattr(fs.layers, name)(**kwargs)(*[fs.Input(shape=s) for s in shapes])
    assert tuple(symbolic.shape) == (None, *out)


def test_attention_shapes_eager_computed_and_symbolic(fs, precision):
    once(precision)
    for name in ("Attention", "AdditiveAttention"):
        layer = getattr(fs.layers, name)()
        out, weights = layer([rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 4)], return_attention_scores=True)
        assert numpy_of(fs, out).shape == (2, 3, 4) and numpy_of(fs, weights).shape == (2, 3, 5)
        assert tuple(layer.compute_output_shape([(2, 3, 4), (2, 5, 6)])) == (2, 3, 6)
        symbolic = getattr(fs.layers, name)()([fs.Input(shape=(3, 4)), fs.Input(shape=(5, 4))])
        assert tuple(symbolic.shape) == (None, 3, 4)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(mode=st.sampled_from(["dot", "concat", "additive"]), use_scale=st.booleans(), masked=st.booleans(),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_attention_and_additive_attention_are_their_formulas(fs, precision, mode, use_scale, masked, causal, seed):
    rng = np.random.default_rng(seed)
    q, v, k = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4)), rng.normal(size=(2, 4, 4))
    layer = fs.layers.AdditiveAttention(use_scale=use_scale) if mode == "additive" else fs.layers.Attention(
        use_scale=use_scale, score_mode=mode)
    kwargs = {"use_causal_mask": causal}
    q_mask, v_mask = padding_mask(rng, 2, 3), padding_mask(rng, 2, 4)
    if masked:
        kwargs["mask"] = [q_mask, v_mask]
    layer([q, v, k], **kwargs)
    if layer.get_weights() and mode != "additive":
        layer.set_weights([np.asarray(w) + 0.5 for w in layer.get_weights()])
    out, weights = layer([q, v, k], return_attention_scores=True, **kwargs)
    params = layer.get_weights()
    pairs = q[:, :, None, :] + k[:, None, :, :]
    if mode == "dot":
        scores = np.einsum("btf,bsf->bts", q, k) * (params[0] if use_scale else 1.0)
    elif mode == "concat":
        scale, weight = (params if use_scale else (1.0, params[0]))
        scores = weight * np.tanh(scale * pairs).sum(-1)
    else:
        scores = ((params[0] if use_scale else 1.0) * np.tanh(pairs)).sum(-1)
    allowed = np.ones((2, 3, 4), dtype=bool)
    if masked:
        allowed &= v_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones((3, 4), dtype=bool))[None]
    expected_weights = softmax(np.where(allowed, scores, scores - 1e9))
    expected = expected_weights @ v
    if masked:
        expected = np.where(q_mask[:, :, None], expected, 0.0)
    np.testing.assert_allclose(numpy_of(fs, weights), expected_weights, **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, out), expected, **tolerance(precision))


def test_attention_weights_are_keras(fs, precision):
    once(precision)
    concat = fs.layers.Attention(use_scale=True, score_mode="concat")
    concat([rand(1, 2, 3), rand(1, 2, 3)])
    assert [(v.path.split("/")[-1], tuple(v.shape)) for v in concat.weights] == [("scale", ()),
                                                                               ("concat_score_weight", ())]
    additive = fs.layers.AdditiveAttention()
    additive([rand(1, 2, 3), rand(1, 2, 3)])
    assert [(v.path.split("/")[-1], tuple(v.shape)) for v in additive.weights] == [("scale", (3,))]
    assert fs.layers.AdditiveAttention(use_scale=False).get_config()["use_scale"] is False


# -- configs and saving -----------------------------------------------------------------------------------------------
CONFIGS = [
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "value_dim": 4, "dropout": 0.1, "use_bias": False,
                            "output_shape": [5], "attention_axes": [1], "seed": 3},
     ["num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate", "output_shape", "attention_axes",
      "sliding_window", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
      "activity_regularizer", "kernel_constraint", "bias_constraint", "seed"]),
    ("GroupQueryAttention", {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.2},
     ["head_dim", "num_query_heads", "num_key_value_heads", "use_bias", "use_gate", "sliding_window", "dropout",
      "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
      "kernel_constraint", "bias_constraint", "seed"]),
    ("Attention", {"use_scale": True, "score_mode": "concat", "dropout": 0.1, "seed": 2},
     ["use_scale", "score_mode", "dropout", "seed"]),
    ("AdditiveAttention", {"use_scale": False, "dropout": 0.1}, ["use_scale", "dropout", "seed"]),
]


@pytest.mark.parametrize(("name", "kwargs", "keys"), CONFIGS)
def test_attention_configs_have_keras_keys_and_round_trip(fs, precision, name, kwargs, keys):
    once(precision)
    layer = getattr(fs.layers, name)(**kwargs)
    config = layer.get_config()
    assert set(keys) <= set(config) and not set(config) - set(keys) - {"name", "trainable", "dtype"}
    for key, value in kwargs.items():
        assert config[key] == value, key
    assert getattr(fs.layers, name).from_config(config).get_config() == config


def test_a_transformer_block_saves_and_loads(fs, precision, tmp_path):
    once(precision)
    tokens = fs.Input(shape=(4,), dtype="int32")
    x = fs.layers.Embedding(7, 6)(tokens)
    x = fs.layers.MultiHeadAttention(2, 3, dropout=0.1, seed=1, output_shape=2)(x, x, use_causal_mask=True)
    model = fs.Model(tokens, fs.layers.EinsumDense("abc,cd->abd", output_shape=(None, 2), bias_axes="d")(x))
    saves_and_loads(fs, model, np.random.default_rng(0).integers(0, 7, size=(3, 4)), tmp_path)


# -- bad arguments ----------------------------------------------------------------------------------------------------
BAD = [
    ("MultiHeadAttention", {"num_heads": 0, "key_dim": 2}, "num_heads"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2.5}, "key_dim"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "value_dim": -1}, "value_dim"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "dropout": 1.0}, "dropout"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "attention_axes": "1"}, "attention_axes"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "output_shape": (2, 0)}, "output_shape"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "flash_attention": True}, "flash_attention"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window"),
    ("GroupQueryAttention", {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 2}, "num_key_value_heads"),
    ("GroupQueryAttention", {"head_dim": 0, "num_query_heads": 2, "num_key_value_heads": 2}, "head_dim"),
    ("Attention", {"score_mode": "cosine"}, "score_mode"),
    ("Attention", {"dropout": -0.1}, "dropout"),
    ("AdditiveAttention", {"use_scale": "yes"}, "use_scale"),
    ("EinsumDense", {"equation": "ab->b", "output_shape": 2}, "equation"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 0}, "output_shape"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 2, "bias_axes": 3}, "bias_axes"),
]


@pytest.mark.parametrize(("name", "kwargs", "argument"), BAD)
def test_bad_arguments_are_refused_by_name(fs, precision, name, kwargs, argument):
    once(precision)
    assert_refused_by_name(lambda: getattr(fs.layers, name)(**kwargs), name, argument)


def test_bad_inputs_are_refused_by_name(fs, precision):
    once(precision)
    with pytest.raises(ValueError, match=r"argument `inputs` expected a list \[query, value\]"):
        fs.layers.Attention()(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"argument `mask` expected a list \[query_mask, value_mask\]"):
        fs.layers.Attention()([rand(2, 3, 4), rand(2, 3, 4)], mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"argument `bias_axes` expected letters of the output"):
        fs.layers.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="b")(rand(2, 3))
    with pytest.raises(ValueError, match=r"argument `inputs` expected rank 2"):
        fs.layers.EinsumDense("ab,bc->ac", output_shape=2)(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"argument `key` expected the dimensions of value but the last"):
        fs.layers.MultiHeadAttention(2, 2)(rand(2, 3, 4), rand(2, 3, 4), rand(2, 5, 4))
    with pytest.raises(ValueError, match=r"argument `query` expected a tensor of rank >= 3"):
        fs.layers.MultiHeadAttention(2, 2)(rand(2, 4), rand(2, 3, 4))


# -- propagated masks (docs/SPEC.md 8d.A7) ----------------------------------------------------------------------------
ATTENTION_ON_MASKS = {  # name -> (the layer, how it is applied to an embedded, masked sequence x)
    "MultiHeadAttention": (lambda fs: fs.layers.MultiHeadAttention(2, 3), lambda layer, x: layer(x, x)),
    "GroupQueryAttention": (lambda fs: fs.layers.GroupQueryAttention(2, 4, 2),
                            lambda layer, x: layer(x, x, use_causal_mask=True)),
    "Attention": (lambda fs: fs.layers.Attention(use_scale=True), lambda layer, x: layer([x, x])),
    "AdditiveAttention": (lambda fs: fs.layers.AdditiveAttention(),
                          lambda layer, x: layer([x, x], use_causal_mask=True)),
}


def test_a_padded_batch_gives_the_outputs_and_loss_of_the_unpadded_sequences(fs, precision):
    """Embedding(mask_zero) -> each attention layer -> GlobalAveragePooling1D -> Dense, one branch per layer: the
    padded batch's predictions and loss (compiled steps) equal each sequence's alone, unpadded (predicted alone); no
    layer warns that it drops the mask. (A subclassed model: a functional one of unknown length would run every
    layer twice more, eagerly, to find its shapes, which JAX compiles op by op.)"""
    import warnings

    once(precision)
    rng = np.random.default_rng(4)
    fs.utils.set_random_seed(4)
    lengths, steps = [2, 5], 5  # few shapes: JAX compiles each step per shape
    x = np.array([np.r_[rng.integers(1, 9, size=n), np.zeros(steps - n, int)] for n in lengths], "int32")

    class Branches(fs.Model):
        def __init__(self):
            super().__init__()
            self.embeddings = [fs.layers.Embedding(9, 4, mask_zero=True) for _ in ATTENTION_ON_MASKS]
            self.attention = [make(fs) for make, _ in ATTENTION_ON_MASKS.values()]
            self.pooling = fs.layers.GlobalAveragePooling1D()
            self.heads = [fs.layers.Dense(2) for _ in ATTENTION_ON_MASKS]

        def call(self, ids):
            return fs.ops.concatenate([head(self.pooling(apply(layer, embedding(ids)))) for embedding, layer, apply,
                                       head in zip(self.embeddings, self.attention,
                                                   [a for _, a in ATTENTION_ON_MASKS.values()], self.heads)], axis=-1)

    model = Branches()
    model.compile(loss="mse")
    y = rng.normal(size=(2, 2 * len(ATTENTION_ON_MASKS)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        padded = numpy_of(fs, model.predict(x, verbose=0))
        alone = np.concatenate([numpy_of(fs, model.predict(x[i:i + 1, :n], verbose=0)) for i, n in enumerate(lengths)])
        loss = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(padded, alone, **tolerance(precision))
    np.testing.assert_allclose(loss, ((alone - y) ** 2).mean(), **tolerance(precision))


def test_the_output_carries_the_query_mask_and_multi_head_attention_takes_its_inputs_masks_off(fs, precision):
    """Keras 3: every attention layer's output has the query's mask; MultiHeadAttention clears the masks of query,
    value and key (a residual Add after it is unmasked), GroupQueryAttention leaves them."""
    from fitspec.masking import get_mask

    once(precision)
    tokens = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    kept = tokens != 0
    for name, (make, apply) in ATTENTION_ON_MASKS.items():
        x = fs.layers.Embedding(4, 4, mask_zero=True)(tokens)
        out = apply(make(fs), x)
        np.testing.assert_array_equal(numpy_of(fs, get_mask(out)), kept, err_msg=name)
        assert (get_mask(x) is None) == (name == "MultiHeadAttention"), name
    scores_out, scores = fs.layers.Attention()([x, x], return_attention_scores=True)
    np.testing.assert_array_equal(numpy_of(fs, get_mask(scores_out)), kept)
    assert get_mask(scores) is None

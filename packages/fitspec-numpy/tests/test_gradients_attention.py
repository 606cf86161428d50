"""EinsumDense's and the attention layers' gradients (inputs and weights) agree with central finite differences in
float64, hypothesis over shapes and arguments, masks included (docs/SPEC.md 8d.A)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_gradients import check_layer_gradients

import fitspec_numpy as fs


def padding_mask(rng, batch, length):
    """(batch, length) bool, each row's first entry True, then a random prefix of Trues."""
    lengths = rng.integers(1, length + 1, size=batch)
    return np.arange(length)[None, :] < lengths[:, None]


@settings(max_examples=8, deadline=None, derandomize=True)
@given(form=st.sampled_from(["ab,bc->ac", "abc,cd->abd", "abc,cde->abde", "...b,bc->...c", "ab...,bc->ac..."]),
       bias=st.booleans(), activation=st.sampled_from([None, "tanh"]), seed=st.integers(0, 2**16))
def test_einsum_dense(form, bias, activation, seed):
    rng = np.random.default_rng(seed)
    shapes = {"ab,bc->ac": ((2, 3), 4, "c"), "abc,cd->abd": ((2, 3, 4), (None, 5), "d"),
              "abc,cde->abde": ((2, 3, 4), (None, 2, 3), "de"), "...b,bc->...c": ((2, 2, 3), 4, "c"),
              "ab...,bc->ac...": ((2, 3, 2), 4, "c")}
    input_shape, output_shape, bias_axes = shapes[form]
    layer = fs.layers.EinsumDense(form, output_shape=output_shape, bias_axes=bias_axes if bias else None,
                                  activation=activation)
    check_layer_gradients(layer, [rng.normal(size=input_shape)], seed=seed)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(heads=st.integers(1, 2), key_dim=st.integers(1, 3), causal=st.booleans(), masked=st.booleans(),
       with_key=st.booleans(), gate=st.booleans(), output_shape=st.sampled_from([None, 3]),
       seed=st.integers(0, 2**16))
def test_multi_head_attention(heads, key_dim, causal, masked, with_key, gate, output_shape, seed):
    rng = np.random.default_rng(seed)
    query, value = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 2))
    args = [query, value, rng.normal(size=(2, 3, 3))] if with_key else [query, value]
    kwargs = {"use_causal_mask": causal}
    if masked:
        kwargs["value_mask"] = padding_mask(rng, 2, 3)
        kwargs["query_mask"] = padding_mask(rng, 2, 3)
    layer = fs.layers.MultiHeadAttention(heads, key_dim, output_shape=output_shape, use_gate=gate,
                                         bias_initializer="random_normal")
    check_layer_gradients(layer, args, seed=seed, return_attention_scores=True, **kwargs)


@settings(max_examples=4, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_multi_head_attention_over_two_axes_with_an_attention_mask_and_dropout(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 2, 3, 3))
    mask = rng.random((2, 2, 3, 2, 3)) < 0.7
    layer = fs.layers.MultiHeadAttention(2, 2, attention_axes=(1, 2), dropout=0.3, seed=seed)
    check_layer_gradients(layer, [x, x], seed=seed, training=True, attention_mask=mask)
    check_layer_gradients(fs.layers.MultiHeadAttention(2, 2, attention_axes=(1,), dropout=0.3, seed=seed), [x, x],
                    seed=seed, training=True)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(kv_heads=st.sampled_from([1, 2]), causal=st.booleans(), masked=st.booleans(), seed=st.integers(0, 2**16))
def test_group_query_attention(kv_heads, causal, masked, seed):
    rng = np.random.default_rng(seed)
    query, value = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4))
    kwargs = {"use_causal_mask": causal}
    if masked:
        kwargs["value_mask"] = padding_mask(rng, 2, 4)
    layer = fs.layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=kv_heads,
                                          bias_initializer="random_normal")
    check_layer_gradients(layer, [query, value], seed=seed, **kwargs)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(name=st.sampled_from(["dot", "concat", "additive"]), use_scale=st.booleans(), with_key=st.booleans(),
       causal=st.booleans(), masked=st.booleans(), seed=st.integers(0, 2**16))
def test_attention_and_additive_attention(name, use_scale, with_key, causal, masked, seed):
    rng = np.random.default_rng(seed)
    inputs = [rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))]
    if with_key:
        inputs.append(rng.normal(size=(2, 3, 2)))
    kwargs = {"use_causal_mask": causal}
    if masked:
        kwargs["mask"] = [padding_mask(rng, 2, 3), padding_mask(rng, 2, 3)]
    layer = fs.layers.AdditiveAttention(use_scale=use_scale) if name == "additive" else fs.layers.Attention(
        use_scale=use_scale, score_mode=name)
    check_layer_gradients(layer, inputs, seed=seed, as_list=True, return_attention_scores=True, **kwargs)
    if use_scale and name != "additive":  # scale and concat_score_weight away from 1
        layer.set_weights([w + 0.3 for w in layer.get_weights()])
        check_layer_gradients(layer, inputs, seed=seed, as_list=True, **kwargs)

"""Cross-check EinsumDense and the attention layers one by one against Keras 3 on JAX (docs/SPEC.md 8d.A, 11).

Each configuration builds the layer in both libraries, copies fitspec's weights into Keras's (`set_weights`, so
the weight order and shapes must be Keras's), calls both on the same inputs and masks, and compares outputs,
attention scores, compute_output_shape and config. Keras's multi-head layers are called with
`return_attention_scores=True` (its explicit path, in float64); its fused path is compared separately, within
float32 rounding (it computes the softmax in float32 on JAX). Dropout on the scores is compared in float32
training, where Keras draws fitspec's masks for a seeded layer.
"""

from __future__ import annotations

import numpy as np

RTOL = ATOL = 1e-12
#: class -> why its float64 numbers may differ from Keras 3.15's on JAX by up to 1e-6
FLOAT32_IN_KERAS = {
    "concat": "Keras 3.15's ops.tanh on JAX computes float64 in float32 (backend.result_type(float64, float) is "
              "float32 there, BIT64_TO_BIT32_DTYPE); with that entry set to float64 these agree at 1e-12",
}
#: configuration label -> the documented reason it differs (docs/SPEC.md deviation table, 8d.A)
DOCUMENTED = {
    "EinsumDense ...b,bc->...c": "Keras 3.15's EinsumDense.compute_output_shape reverses the elided leading axes "
                                 "when two or more are elided ((2, 3, 2, 5) for an input (2, 2, 3, 4)); fitspec gives "
                                 "the shape the einsum computes, (2, 2, 3, 5)",
}
#: the Keras config keys fitspec does not write, and why
CONFIG_KEYS_NOT_WRITTEN = {
    "EinsumDense": ("quantization_config", "activity_regularizer"),  # no quantization; activity_regularizer None
}


def _as_numpy(x):
    return np.asarray(x)


def _inputs():
    rng = np.random.default_rng(15)
    lengths = np.array([3, 1])
    padding = np.arange(4)[None, :] < lengths[:, None]  # (2, 4)
    return {
        "x": rng.normal(size=(2, 4, 6)), "v": rng.normal(size=(2, 5, 3)), "k": rng.normal(size=(2, 5, 7)),
        "x4": rng.normal(size=(2, 2, 3, 4)), "padding": padding,
        "value_padding": np.arange(5)[None, :] < np.array([4, 2])[:, None],
        "attention_mask": rng.random((2, 4, 5)) < 0.7,
    }


def _configurations(d):
    """(label, class name, constructor kwargs, positional inputs, call kwargs) of every comparison."""
    x, v, k, x4 = d["x"], d["v"], d["k"], d["x4"]
    mha = {"num_heads": 2, "key_dim": 3, "bias_initializer": "random_normal"}
    gqa = {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "bias_initializer": "random_normal"}
    return [
        ("EinsumDense ab,bc->ac", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c",
                                                 "activation": "relu"}, [x[:, 0]], {}),
        ("EinsumDense abc,cde->abde", "EinsumDense", {"equation": "abc,cde->abde", "output_shape": (None, 2, 3),
                                                      "bias_axes": "d"}, [x], {}),
        ("EinsumDense abcd,cde->abe", "EinsumDense", {"equation": "abcd,cde->abe", "output_shape": (2, 5),
                                                      "bias_axes": "e"}, [x4], {}),
        ("EinsumDense ...b,bc->...c", "EinsumDense", {"equation": "...b,bc->...c", "output_shape": 5,
                                                      "bias_axes": "c"}, [x4], {}),
        ("EinsumDense ab...,bc->ac...", "EinsumDense", {"equation": "ab...,bc->ac...", "output_shape": 3,
                                                        "bias_axes": "c"}, [x[:, 0, :2].reshape(2, 2, 1) * x[:, :1, :]
                                                                            .reshape(2, 1, 6)], {}),
        ("MultiHeadAttention self", "MultiHeadAttention", mha, [x, x], {}),
        ("MultiHeadAttention value and key", "MultiHeadAttention", {**mha, "value_dim": 2}, [x, v, k], {}),
        ("MultiHeadAttention causal", "MultiHeadAttention", mha, [x, x], {"use_causal_mask": True}),
        ("MultiHeadAttention value and key masks", "MultiHeadAttention", mha, [x, v, k],
         {"value_mask": d["value_padding"], "key_mask": np.roll(d["value_padding"], 1, axis=0)}),
        ("MultiHeadAttention attention_mask + causal", "MultiHeadAttention", mha, [x, v],
         {"attention_mask": d["attention_mask"], "use_causal_mask": True}),
        ("MultiHeadAttention output_shape (2, 3), no bias", "MultiHeadAttention",
         {"num_heads": 2, "key_dim": 2, "output_shape": (2, 3), "use_bias": False}, [x, v], {}),
        ("MultiHeadAttention attention_axes (1, 2)", "MultiHeadAttention", {**mha, "attention_axes": (1, 2)},
         [x4, x4], {}),
        ("MultiHeadAttention use_gate, sliding_window 2", "MultiHeadAttention",
         {**mha, "use_gate": True, "sliding_window": 2}, [x, x], {"use_causal_mask": True}),
        ("GroupQueryAttention", "GroupQueryAttention", gqa, [x, v[..., :1] * x[:, :1, :]], {}),
        ("GroupQueryAttention causal, value mask", "GroupQueryAttention", gqa, [x, x],
         {"use_causal_mask": True, "value_mask": d["padding"]}),
        ("GroupQueryAttention attention_mask, one kv head", "GroupQueryAttention",
         {**gqa, "num_key_value_heads": 1}, [x, v[..., :1] * x[:, :1, :]], {"attention_mask": d["attention_mask"]}),
        ("Attention dot", "Attention", {}, [[x, v[..., :1] * x[:, :1, :]]], {}),
        ("Attention dot, scale, key, masks", "Attention", {"use_scale": True},
         [[x, v[..., :1] * x[:, :1, :], k[..., :6]]], {"mask": [d["padding"], d["value_padding"]]}),
        ("Attention concat, scale, causal", "Attention", {"use_scale": True, "score_mode": "concat"}, [[x, x]],
         {"use_causal_mask": True}),
        ("Attention concat, causal, masks", "Attention", {"score_mode": "concat"}, [[x, x]],
         {"use_causal_mask": True, "mask": [d["padding"], d["padding"]]}),
        ("AdditiveAttention", "AdditiveAttention", {}, [[x, v[..., :1] * x[:, :1, :]]], {}),
        ("AdditiveAttention no scale, key, masks", "AdditiveAttention", {"use_scale": False},
         [[x, v[..., :1] * x[:, :1, :], k[..., :6]]], {"mask": [d["padding"], d["value_padding"]]}),
        ("AdditiveAttention causal", "AdditiveAttention", {}, [[x, x]], {"use_causal_mask": True}),
    ]


def _perturbed(weights, seed=0):
    """The weights moved off their initial values (ones, zeros), so that every one matters."""
    rng = np.random.default_rng(seed)
    return [np.asarray(w) + 0.3 * rng.normal(size=np.shape(w)) for w in weights]


def _compare_configs(ours, theirs, problems):
    from conformance.crosscheck_layers import json_ready

    config_ours, config_theirs = ours.get_config(), theirs.get_config()
    skipped = {"name", "trainable", "dtype", *CONFIG_KEYS_NOT_WRITTEN.get(type(ours).__name__, ())}
    missing, extra = set(config_theirs) - set(config_ours) - skipped, set(config_ours) - set(config_theirs) - skipped
    if missing or extra:
        problems.append(f"config keys: missing {sorted(missing)}, extra {sorted(extra)}")
    for key in set(config_ours) & set(config_theirs) - skipped:
        if json_ready(config_ours[key]) != json_ready(config_theirs[key]):
            problems.append(f"config[{key!r}] {config_ours[key]!r} != Keras {config_theirs[key]!r}")


def _outputs(result):
    return [_as_numpy(r) for r in result] if isinstance(result, tuple) else [_as_numpy(result)]


def _compare_one(fs, keras, label, name, kwargs, args, call, problems, notes):
    multi_head = name in ("MultiHeadAttention", "GroupQueryAttention")
    scores = {"return_attention_scores": True} if name != "EinsumDense" else {}
    ours = getattr(fs.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours_out = [np.asarray(fs.ops.convert_to_numpy(o)) for o in _outputs_fs(ours(*args, **call, **scores))]
    theirs(*args, **call, **scores)
    depth = 2 if multi_head else 1  # query/kernel, ...; kernel, ...
    paths_ours, paths_theirs = ([tuple(v.path.split("/")[-depth:]) for v in layer.weights] for layer in (ours, theirs))
    if paths_ours != paths_theirs or [tuple(v.shape) for v in ours.weights] != [tuple(v.shape) for v in
                                                                                 theirs.weights]:
        problems.append(f"weights {paths_ours} {[tuple(v.shape) for v in ours.weights]} != Keras {paths_theirs} "
                        f"{[tuple(v.shape) for v in theirs.weights]}")
        return
    weights = _perturbed(ours.get_weights())
    ours.set_weights(weights)
    theirs.set_weights(weights)
    ours_out = [np.asarray(fs.ops.convert_to_numpy(o)) for o in _outputs_fs(ours(*args, **call, **scores))]
    theirs_out = _outputs(theirs(*args, **call, **scores))
    tanh = name == "AdditiveAttention" or kwargs.get("score_mode") == "concat"
    tol = 1e-6 if tanh else RTOL
    for what, a, b in zip(("outputs", "scores"), ours_out, theirs_out):
        if a.shape != b.shape:
            problems.append(f"{what} shape {a.shape} != Keras {b.shape}")
        elif not np.allclose(a, b, rtol=tol, atol=tol):
            problems.append(f"{what} differ (max |diff| {np.max(np.abs(a - b)):.3e})")
    if tanh:
        notes.append(f"float64 within 1e-6: {FLOAT32_IN_KERAS['concat']}")
    if multi_head and "attention_mask" not in call:
        try:
            fused = _as_numpy(theirs(*args, **call))
        except Exception as error:  # Keras 3.15's fused path on JAX needs value_dim == key_dim
            notes.append(f"Keras's fused path (no scores returned) raises {type(error).__name__}; its explicit path "
                         "agrees")
        else:
            if not np.allclose(ours_out[0], fused, rtol=1e-5, atol=1e-6):
                problems.append(f"Keras's fused path differs beyond float32 rounding "
                                f"(max |diff| {np.max(np.abs(ours_out[0] - fused)):.3e})")
            else:
                notes.append(f"Keras's fused path (softmax in float32 on JAX) within 1e-5: max |diff| "
                             f"{np.max(np.abs(ours_out[0] - fused)):.1e}")
    shapes = [np.shape(a) for a in args] if name not in ("Attention", "AdditiveAttention") else [
        [np.shape(a) for a in args[0]]]
    if tuple(ours.compute_output_shape(*shapes)) != tuple(theirs.compute_output_shape(*shapes)):
        problems.append(f"compute_output_shape {ours.compute_output_shape(*shapes)} != "
                        f"{theirs.compute_output_shape(*shapes)}")
    _compare_configs(ours, theirs, problems)


def _outputs_fs(result):
    return list(result) if isinstance(result, tuple) else [result]


def _compare_query_mask(fs, keras, problems):
    """Keras 3.15's MultiHeadAttention takes the query mask only from the query's propagated mask (it overwrites
    the `query_mask` argument); fitspec's explicit `query_mask` must give what Keras gives for that mask, which is
    the attention mask query_mask[:, :, None]."""
    d = _inputs()
    x, padding = d["x"], d["padding"]
    ours = fs.layers.MultiHeadAttention(2, 3)
    theirs = keras.layers.MultiHeadAttention(2, 3)
    ours(x, x)
    theirs(x, x)
    weights = _perturbed(ours.get_weights(), 1)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    a = [np.asarray(fs.ops.convert_to_numpy(o)) for o in ours(x, x, query_mask=padding,
                                                                 return_attention_scores=True)]
    mask = np.broadcast_to(padding[:, :, None], (2, 4, 4))
    b = _outputs(theirs(x, x, attention_mask=mask, return_attention_scores=True))
    for what, p, q in zip(("outputs", "scores"), a, b):
        if not np.allclose(p, q, rtol=RTOL, atol=ATOL):
            problems.append(f"query_mask: {what} differ (max |diff| {np.max(np.abs(p - q)):.3e})")
    ignored = _as_numpy(theirs(x, x, query_mask=padding, return_attention_scores=True)[0])
    unmasked = _as_numpy(theirs(x, x, return_attention_scores=True)[0])
    print(f"    (Keras {keras.__version__} ignores an explicit query_mask: "
          f"{bool(np.array_equal(ignored, unmasked))})")


def _compare_dropout_float32(fs, keras, problems):
    """MultiHeadAttention(dropout, seed) and Attention(dropout, seed) in float32 training (jax without x64, as a
    float32 Keras model draws): the same masks."""
    import jax

    before = fs.config.floatx(), keras.config.floatx()
    fs.config.set_floatx("float32")
    keras.config.set_floatx("float32")
    try:
        with jax.enable_x64(False):
            _dropout_draws(fs, keras, problems)
    finally:
        fs.config.set_floatx(before[0])
        keras.config.set_floatx(before[1])


def _dropout_draws(fs, keras, problems):
    x = _inputs()["x"].astype("float32")
    for name, kwargs, args in (("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "dropout": 0.4, "seed": 9},
                                [x, x]),
                               ("Attention", {"dropout": 0.4, "seed": 9}, [[x, x]]),
                               ("AdditiveAttention", {"dropout": 0.3, "seed": 4}, [[x, x]])):
        ours, theirs = getattr(fs.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
        ours(*args)
        theirs(*args)
        theirs.set_weights(ours.get_weights())
        for step in range(2):
            a = np.asarray(fs.ops.convert_to_numpy(ours(*args, training=True)))
            b = _as_numpy(theirs(*args, training=True))
            if not np.allclose(a, b, rtol=1e-5, atol=1e-6):
                problems.append(f"{name} float32 training, draw {step}: outputs differ "
                                f"(max |diff| {np.max(np.abs(a - b)):.3e})")


def _masked_models(lib):
    """(label, model) of small functional models whose attention layer receives propagated masks (Embedding with
    mask_zero), the same in fitspec and Keras: the outputs, the output's mask and a masked loss are compared."""
    layers = lib.layers

    def embedded():
        ids = lib.Input(shape=(5,), dtype="int32")
        return ids, layers.Embedding(9, 4, mask_zero=True)(ids)

    def head(x):
        return layers.Dense(2)(x)

    def explicit(layer, *args, **kwargs):  # Keras's explicit path (its fused one: 8d.A2's deviation)
        return layer(*args, **kwargs, return_attention_scores=True)[0]

    built = []
    ids, x = embedded()
    self_attention = explicit(layers.MultiHeadAttention(2, 3), x, x)
    built.append(("MultiHeadAttention self-attention", lib.Model(ids, head(self_attention))))
    ids, x = embedded()
    residual = layers.Add()([x, explicit(layers.MultiHeadAttention(2, 3), x, x)])  # Keras's MHA has taken x's mask off
    built.append(("MultiHeadAttention residual (its inputs lose their masks)", lib.Model(ids, head(residual))))
    ids, x = embedded()
    other = lib.Input(shape=(4,), dtype="int32")
    v = layers.Embedding(9, 4, mask_zero=True)(other)
    cross = explicit(layers.MultiHeadAttention(2, 3, value_dim=2), x, v, v, use_causal_mask=True)
    built.append(("MultiHeadAttention cross, key, causal", lib.Model([ids, other], head(cross))))
    ids, x = embedded()
    residual = layers.Add()([x, explicit(layers.GroupQueryAttention(2, 4, 2), x, x)])  # GQA leaves x's mask on it
    built.append(("GroupQueryAttention residual", lib.Model(ids, head(residual))))
    ids, x = embedded()
    built.append(("Attention concat, causal", lib.Model(ids, head(layers.Attention(score_mode="concat")(
        [x, x], use_causal_mask=True)))))
    ids, x = embedded()
    other = lib.Input(shape=(4,), dtype="int32")
    v = layers.Embedding(9, 4, mask_zero=True)(other)
    built.append(("AdditiveAttention cross, then GlobalAveragePooling1D", lib.Model(
        [ids, other], head(layers.GlobalAveragePooling1D()(layers.AdditiveAttention()([x, v]))))))
    return built


def _close(a, b, what, problems, tanh):
    """crosscheck_common.compare, or within 1e-6 where Keras computes tanh in float32 (FLOAT32_IN_KERAS)."""
    from conformance.crosscheck_common import compare

    if not tanh:
        compare(a, b, what, problems)
    elif not np.allclose(a, b, rtol=1e-6, atol=1e-6):
        problems.append(f"{what}: differs (max |diff| {np.max(np.abs(np.subtract(a, b))):.3e})")


def _compare_masked_models(fs, keras, label_filter=None) -> int:
    """Each masked model: outputs, the output's mask and the loss (weighted by that mask) against Keras's."""
    from keras.src.backend import get_keras_mask

    from conformance.crosscheck_common import verdict
    from fitspec.masking import get_mask

    rng = np.random.default_rng(8)
    ids = np.array([[3, 1, 4, 0, 0], [5, 0, 0, 0, 0], [2, 6, 5, 3, 5]], "int32")
    other = np.array([[1, 2, 0, 0], [7, 7, 7, 0], [8, 0, 0, 0]], "int32")
    failures = 0
    for (label, ours), (_, theirs) in zip(_masked_models(fs), _masked_models(keras)):
        problems = []
        x = [ids, other] if len(ours.inputs) == 2 else ids
        weights = [rng.normal(size=np.shape(w)) for w in ours.get_weights()]
        ours.set_weights(weights)
        theirs.set_weights(weights)
        a, b = ours(x), theirs(x)
        tanh = "concat" in label or "Additive" in label  # FLOAT32_IN_KERAS: compared within 1e-6

        _close(np.asarray(fs.ops.convert_to_numpy(a)), _as_numpy(b), "outputs", problems, tanh)
        mask_a, mask_b = get_mask(a), get_keras_mask(b)
        if (mask_a is None) != (mask_b is None) or mask_a is not None and not np.array_equal(
                np.asarray(fs.ops.convert_to_numpy(mask_a)), _as_numpy(mask_b)):
            problems.append(f"output mask {mask_a} != Keras {mask_b}")
        y = rng.normal(size=np.shape(_as_numpy(b)))
        ours.compile(loss="mse")
        theirs.compile(loss="mse")
        _close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), "masked loss", problems, tanh)
        failures += verdict(f"attention: masked inputs: {label}", problems)
        if tanh:
            print(f"    (float64 within 1e-6: {FLOAT32_IN_KERAS['concat']})")
    return failures


def check() -> int:
    """Print one line per comparison; return how many differ."""
    import keras

    import fitspec_numpy as fs

    before = fs.config.floatx(), keras.config.floatx()
    fs.config.set_floatx("float64")
    keras.config.set_floatx("float64")
    failures = 0
    try:
        for label, name, kwargs, args, call in _configurations(_inputs()):
            problems, notes = [], []
            try:
                _compare_one(fs, keras, label, name, kwargs, args, call, problems, notes)
            except Exception as error:  # a comparison that cannot run differs
                problems.append(f"{type(error).__name__}: {error}")
            failures += _verdict(keras, f"layer {label}", problems, notes, DOCUMENTED.get(label))
        for label, compare in (("MultiHeadAttention query_mask", _compare_query_mask),
                               ("dropout on the attention weights, float32 training", _compare_dropout_float32)):
            problems = []
            compare(fs, keras, problems)
            failures += _verdict(keras, label, problems)
        failures += _compare_masked_models(fs, keras)
    finally:
        fs.config.set_floatx(before[0])
        keras.config.set_floatx(before[1])
    return failures


def _verdict(keras, label, problems, notes=(), documented=None) -> int:
    if problems and documented:
        print(f"differs as documented: attention: {label}: {documented}")
    else:
        print(f"{'DIFFERS from' if problems else 'agrees with'} Keras {keras.__version__}: attention: {label}")
    for line in (*problems, *(f"({note})" for note in notes)):
        print(f"    {line}")
    return int(bool(problems) and not documented)


if __name__ == "__main__":
    import sys

    import jax

    jax.config.update("jax_enable_x64", True)
    sys.exit(1 if check() else 0)

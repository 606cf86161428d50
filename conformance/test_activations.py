"""Activations (docs/SPEC.md 5.4) and activation layers (8d.8) against plain numpy formulas, on every backend.

Every function of Keras 3's keras.activations is exported, accepted by name wherever an activation is, and equals
its closed form on random inputs (cast to the run's precision first, so that a float32 run and the formula see the
same numbers on each side of a threshold).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance.assertions import assert_close
from conformance.strategies import floats
from conformance.tolerances import tolerance


def _softplus(x):
    return np.logaddexp(x, 0.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _erf(x):
    from math import erf

    return np.vectorize(erf)(x)


def _sparsemax(x, axis=-1):
    """The sort-based definition (Martins and Astudillo, 2016)."""
    x = np.moveaxis(x, axis, -1)
    z = -np.sort(-x, axis=-1)
    cumulative = np.cumsum(z, axis=-1)
    k = np.arange(1, x.shape[-1] + 1)
    support = 1 + k * z > cumulative
    size = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1) / size
    return np.moveaxis(np.maximum(x - tau, 0.0), -1, axis)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

#: name -> (options, numpy formula of (x, **options))
FORMULAS = {
    "relu": ({}, lambda x: np.maximum(x, 0)),
    "leaky_relu": ({"negative_slope": 0.3}, lambda x, negative_slope: np.where(x >= 0, x, negative_slope * x)),
    "relu6": ({}, lambda x: np.clip(x, 0, 6)),
    "softmax": ({"axis": 0}, lambda x, axis: np.exp(_log_softmax(x, axis))),
    "log_softmax": ({}, _log_softmax),
    "celu": ({"alpha": 0.7}, lambda x, alpha: np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha)),
    "elu": ({"alpha": 0.5}, lambda x, alpha: np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0)))),
    "selu": ({}, lambda x: SELU_SCALE * np.where(x >= 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))),
    "softplus": ({}, _softplus),
    "softsign": ({}, lambda x: x / (1 + np.abs(x))),
    "squareplus": ({"b": 2.0}, lambda x, b: (x + np.sqrt(x * x + b)) / 2),
    "soft_shrink": ({"threshold": 0.4}, lambda x, threshold: np.sign(x) * np.maximum(np.abs(x) - threshold, 0)),
    "sparse_plus": ({}, lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x))),
    "silu": ({}, lambda x: x * _sigmoid(x)),
    "swish": ({}, lambda x: x * _sigmoid(x)),
    "gelu": ({}, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "glu": ({}, lambda x: x[:, : x.shape[1] // 2] * _sigmoid(x[:, x.shape[1] // 2:])),
    "tanh": ({}, np.tanh),
    "tanh_shrink": ({}, lambda x: x - np.tanh(x)),
    "threshold": ({"threshold": 0.2, "default_value": -1.5}, lambda x, threshold, default_value:
                  np.where(x > threshold, x, default_value)),
    "sigmoid": ({}, _sigmoid),
    "sparse_sigmoid": ({}, lambda x: np.clip((x + 1) / 2, 0, 1)),
    "exponential": ({}, np.exp),
    "hard_sigmoid": ({}, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hard_silu": ({}, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "hard_swish": ({}, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "hard_tanh": ({}, lambda x: np.clip(x, -1, 1)),
    "hard_shrink": ({"threshold": 0.3}, lambda x, threshold: np.where(np.abs(x) > threshold, x, 0)),
    "linear": ({}, lambda x: x),
    "mish": ({}, lambda x: x * np.tanh(_softplus(x))),
    "log_sigmoid": ({}, lambda x: -_softplus(-x)),
    "sparsemax": ({}, _sparsemax),
}
#: the 35 names of Keras 3.15's keras.activations
KERAS_NAMES = sorted([*FORMULAS, "get", "serialize", "deserialize"])


def value(fs, x):
    return np.asarray(fs.ops.convert_to_numpy(x), dtype=np.float64)


def test_every_keras_activation_name_is_exported(fs):
    assert len(KERAS_NAMES) == 35
    assert [n for n in KERAS_NAMES if n not in fs.activations.__all__] == []


@pytest.mark.parametrize("name", list(FORMULAS))
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.sampled_from([2, 4, 6])), elements=floats(-8, 8)))
def test_every_activation_equals_its_formula(fs, precision, device, name, x):
    x = x.astype(precision).astype(np.float64)
    options, formula = FORMULAS[name]
    rtol, atol = tolerance(precision, device)
    if precision == "float64":
        rtol = max(rtol, 1e-7) if name in ("gelu", "mish", "exponential", "tanh", "tanh_shrink") else rtol
    else:
        rtol, atol = max(rtol, 1e-5), max(atol, 1e-5)
    got = getattr(fs.activations, name)(fs.ops.convert_to_tensor(x.astype(precision)), **options)
    # a float option meets x in x's precision (a threshold of 0.2 is float32(0.2) against float32 inputs)
    rounded = {k: float(np.asarray(v, precision)) if isinstance(v, float) else v for k, v in options.items()}
    assert_close(value(fs, got), formula(x, **rounded), rtol, atol, f"{name}({options})")


@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 6)), elements=floats(-4, 4)))
def test_sparsemax_is_a_distribution_with_exact_zeros(fs, precision, x):
    out = value(fs, fs.activations.sparsemax(fs.ops.convert_to_tensor(x.astype(precision))))
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


def test_relu_options_follow_keras(fs):
    x = np.array([-2.0, -0.5, 0.0, 0.3, 1.2, 7.0])
    relu = fs.activations.relu
    np.testing.assert_allclose(value(fs, relu(x, max_value=6.0)), [0, 0, 0, 0.3, 1.2, 6.0])
    np.testing.assert_allclose(value(fs, relu(x, threshold=0.5)), [0, 0, 0, 0, 1.2, 7.0])
    # below the threshold: -negative_slope (threshold - x)
    np.testing.assert_allclose(value(fs, relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5)),
                               [-0.25, -0.1, -0.05, -0.02, 1.2, 2.0], rtol=1e-6)


def test_activations_resolve_by_name_wherever_an_activation_is(fs):
    x = np.random.default_rng(0).normal(size=(3, 4))
    for name in FORMULAS:
        if name == "threshold":  # Keras's needs its two arguments: by name it cannot be called
            continue
        dense = fs.layers.Dense(4, activation=name, kernel_initializer="ones")
        assert dense.get_config()["activation"] == {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
        got = value(fs, dense(x))
        assert got.shape == ((3, 2) if name == "glu" else (3, 4)), name
        assert value(fs, fs.layers.Activation(name)(x)).shape == ((3, 2) if name == "glu" else (3, 4))
        assert fs.activations.get(name).__name__ == fs.activations.serialize(fs.activations.get(name))
    assert fs.activations.get(None)(1.5) == 1.5
    assert fs.activations.deserialize("swish") is not None
    assert fs.activations.deserialize({"class_name": "function", "config": "gelu"}).__name__ == "gelu"
    assert fs.activations.serialize(fs.activations.swish) == "silu"


def test_unknown_activation_names_and_unserializable_functions_are_errors(fs):
    with pytest.raises(ValueError, match=r"activations.get: argument `activation` expected one of .*gelu.*"
                                         r"received 'gelus'"):
        fs.activations.get("gelus")
    with pytest.raises(ValueError, match="activations.serialize: argument `activation`"):
        fs.activations.serialize(lambda x: x)
    with pytest.raises(ValueError, match="glu: argument `x` expected an even size along axis -1"):
        fs.activations.glu(np.ones((2, 3)))


# -- the activation layers (docs/SPEC.md 8d.8) ------------------------------------------------------------------
def test_softmax_layer_masks_inputs_and_zeroes_masked_outputs(fs, precision):
    x = np.random.default_rng(1).normal(size=(3, 5))
    mask = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
    got = value(fs, fs.layers.Softmax()(x.astype(precision), mask=mask.astype(precision)))
    kept = np.where(mask > 0.5, np.exp(x - x.max(-1, keepdims=True)), 0.0)
    expected = np.divide(kept, kept.sum(-1, keepdims=True), out=np.zeros_like(kept),
                         where=kept.sum(-1, keepdims=True) > 0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    both = value(fs, fs.layers.Softmax(axis=[1, 2])(x.reshape(3, 5, 1).astype(precision)))
    np.testing.assert_allclose(both[..., 0], np.exp(_log_softmax(x)), rtol=1e-5)
    with pytest.raises(ValueError, match="mask"):
        fs.layers.Softmax()(x, mask=np.ones((3, 4)))


def test_prelu_has_one_alpha_per_unshared_position(fs):
    layer = fs.layers.PReLU(alpha_initializer=fs.initializers.Constant(0.25), shared_axes=[1])
    x = np.array([[[-2.0, 1.0], [3.0, -4.0], [-1.0, 0.5]]])
    np.testing.assert_allclose(value(fs, layer(x)), np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    assert tuple(layer.alpha.shape) == (1, 2) and layer.get_config()["shared_axes"] == [1]
    unshared = fs.layers.PReLU()
    np.testing.assert_allclose(value(fs, unshared(x)), np.maximum(x, 0), rtol=1e-6)  # alpha starts at zeros
    assert tuple(unshared.alpha.shape) == (3, 2)
    with pytest.raises(ValueError, match="PReLU: argument `alpha_regularizer`"):
        fs.layers.PReLU(alpha_regularizer="l2")


def test_elu_and_relu_layers_and_their_arguments(fs):
    x = np.array([[-2.0, -0.5, 0.3, 3.0]])
    np.testing.assert_allclose(value(fs, fs.layers.ELU(alpha=0.5)(x)), np.where(x >= 0, x, 0.5 * np.expm1(x)),
                               rtol=1e-6)
    relu = fs.layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.2)
    np.testing.assert_allclose(value(fs, relu(x)), [[-0.22, -0.07, 0.3, 2.0]], rtol=1e-6)
    assert relu.get_config()["max_value"] == 2.0
    for kwargs in ({"max_value": -1.0}, {"negative_slope": -0.1}, {"threshold": None}):
        with pytest.raises(ValueError, match=f"ReLU: argument `{next(iter(kwargs))}`"):
            fs.layers.ReLU(**kwargs)


def test_leaky_relu_takes_keras_2s_alpha_with_keras_3s_warning(fs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = fs.layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, "Argument `alpha` is deprecated. Use `negative_slope` instead.")]
    with pytest.raises(ValueError, match="LeakyReLU: argument `negative_slope`"):
        fs.layers.LeakyReLU(negative_slope=-1.0)

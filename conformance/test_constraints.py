"""Constraints (docs/SPEC.md 8d.10): Keras 3's projections against numpy closed forms, applied by the optimizer to
each variable after its update, the same on every backend."""

from __future__ import annotations

import numpy as np
import pytest


def numpy_constraint(name, args, w):
    if name == "NonNeg":
        return np.maximum(w, 0)
    axis = args.get("axis", 0)
    norms = np.sqrt(np.sum(np.square(w), axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=True))
    if name == "UnitNorm":
        return w / (1e-7 + norms)
    if name == "MaxNorm":
        return w * np.clip(norms, 0, args.get("max_value", 2)) / (1e-7 + norms)
    rate = args.get("rate", 1.0)
    desired = rate * np.clip(norms, args.get("min_value", 0.0), args.get("max_value", 1.0)) + (1 - rate) * norms
    return w * desired / (1e-7 + norms)


CASES = [("NonNeg", {}), ("UnitNorm", {}), ("UnitNorm", {"axis": [0, 1]}), ("MaxNorm", {"max_value": 0.7}),
         ("MaxNorm", {"max_value": 1.5, "axis": 1}), ("MinMaxNorm", {}),
         ("MinMaxNorm", {"min_value": 0.5, "max_value": 0.8, "rate": 0.3, "axis": -1})]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{n}-{a}" for n, a in CASES])
def test_each_constraint_is_its_closed_form(fs, precision, name, args):
    """On three fixed shapes (each new shape compiles the ops anew on JAX), small and large norms."""
    rng = np.random.default_rng(7)
    for shape, scale in (((4, 3), 0.1), ((2, 5), 2.0), ((3, 2, 4), 0.6)):
        w = scale * rng.normal(size=shape)
        out = getattr(fs.constraints, name)(**args)(fs.ops.convert_to_tensor(w.astype(precision)))
        assert fs.ops.dtype(out) == precision
        rtol = 1e-12 if precision == "float64" else 2e-6
        np.testing.assert_allclose(fs.ops.convert_to_numpy(out), numpy_constraint(name, args, w), rtol=rtol,
                                   atol=rtol * 1e-3, err_msg=str(shape))


def test_defaults_configs_and_names_are_keras(fs):
    cons = fs.constraints
    assert cons.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert cons.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert cons.UnitNorm().get_config() == {"axis": 0} and cons.NonNeg().get_config() == {}
    assert cons.max_norm is cons.MaxNorm and cons.non_neg is cons.NonNeg and cons.unit_norm is cons.UnitNorm
    assert cons.min_max_norm is cons.MinMaxNorm
    for name, cls in {"max_norm": "MaxNorm", "MaxNorm": "MaxNorm", "min_max_norm": "MinMaxNorm", "non_neg": "NonNeg",
                      "unit_norm": "UnitNorm", "UnitNorm": "UnitNorm"}.items():
        assert type(cons.get(name)).__name__ == cls, name
    assert cons.get(None) is None
    serialized = cons.serialize(cons.MaxNorm(0.5, axis=[0, 1]))
    assert serialized == {"module": "keras.constraints", "class_name": "MaxNorm",
                          "config": {"max_value": 0.5, "axis": [0, 1]}, "registered_name": None}
    assert cons.deserialize(serialized).get_config() == {"max_value": 0.5, "axis": [0, 1]}


def test_the_optimizer_applies_each_constraint_after_the_update(fs):
    """SGD on one step: the weights are constraint(w - lr * grad), for kernel and bias, in fit and in apply."""
    cons = fs.constraints
    layer = fs.layers.Dense(3, kernel_constraint=cons.MaxNorm(0.5), bias_constraint="non_neg",
                            kernel_initializer=fs.initializers.Constant(0.4), bias_initializer="zeros")
    model = fs.Sequential([fs.Input(shape=(2,)), layer])
    model.compile(optimizer=fs.optimizers.SGD(0.5), loss="mse")
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0, -4.0, 1.0]])
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    error = 2 * (x @ kernel + bias - y) / 3  # d mse / d prediction
    kernel, bias = kernel - 0.5 * x.T @ error, bias - 0.5 * error.sum(axis=0)
    model.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False)
    found_kernel, found_bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    tolerance = 1e-12 if fs.config.floatx() == "float64" else 1e-5
    np.testing.assert_allclose(found_kernel, numpy_constraint("MaxNorm", {"max_value": 0.5}, kernel), atol=tolerance)
    np.testing.assert_allclose(found_bias, np.maximum(bias, 0), atol=tolerance)
    assert (found_bias >= 0).all() and (np.linalg.norm(found_kernel, axis=0) <= 0.5 + tolerance).all()


def test_constraint_arguments_round_trip_through_layer_configs(fs):
    for layer in (fs.layers.Dense(2, kernel_constraint="max_norm", bias_constraint=fs.constraints.NonNeg()),
                  fs.layers.Conv1D(2, 3, kernel_constraint=fs.constraints.UnitNorm(axis=[0, 1])),
                  fs.layers.Embedding(5, 2, embeddings_constraint="unit_norm")):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


@pytest.mark.parametrize(("make", "message"), [
    (lambda c: c.MaxNorm(max_value="2"), r"MaxNorm: argument `max_value` expected a finite number"),
    (lambda c: c.UnitNorm(axis=1.5), r"UnitNorm: argument `axis` expected an int or a list of ints"),
    (lambda c: c.MinMaxNorm(rate=float("inf")), r"MinMaxNorm: argument `rate` expected a finite number"),
    (lambda c: c.get("maxnorm"), r"constraints.get: argument `identifier` expected a constraint named one of"),
    (lambda c: c.get(2), r"constraints.get: argument `identifier` expected a Constraint"),
])
def test_bad_arguments_are_refused_by_name(fs, make, message):
    with pytest.raises(ValueError, match=message):
        make(fs.constraints)

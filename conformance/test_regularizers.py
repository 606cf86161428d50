"""Regularizers (docs/SPEC.md 8d.9): Keras 3's penalties against numpy closed forms, collected into `model.losses`
and added to the loss as Keras adds them, the same on every backend."""

from __future__ import annotations

import numpy as np
import pytest


def numpy_penalty(name, args, x):
    if name == "L1":
        return args["l1"] * np.abs(x).sum()
    if name == "L2":
        return args["l2"] * np.square(x).sum()
    if name == "L1L2":
        return args["l1"] * np.abs(x).sum() + args["l2"] * np.square(x).sum()
    units = x if args["mode"] == "rows" else x.T
    units = units * np.minimum(1 / np.sqrt(np.square(units).sum(axis=1, keepdims=True)), 1e7)
    cosines = np.abs(units @ units.T)[~np.eye(len(units), dtype=bool)]
    return args["factor"] * 0.5 * cosines.sum() / (len(units) * (len(units) - 1) / 2)


CASES = [("L1", {"l1": 0.3}), ("L2", {"l2": 0.2}), ("L1L2", {"l1": 0.05, "l2": 0.4}),
         ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}),
         ("OrthogonalRegularizer", {"factor": 0.7, "mode": "columns"})]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{n}-{a.get('mode', '')}" for n, a in CASES])
def test_each_penalty_is_its_closed_form(fs, precision, name, args):
    """On three fixed shapes (each new shape compiles the ops anew on JAX), one with a zero entry."""
    rng = np.random.default_rng(5)
    for shape in ((4, 3), (2, 5), (3, 3)):
        x = rng.normal(size=shape)
        x[0, 0] = 0.0
        penalty = getattr(fs.regularizers, name)(**args)(fs.ops.convert_to_tensor(x.astype(precision)))
        assert fs.ops.dtype(penalty) == precision
        rtol = 1e-12 if precision == "float64" else 1e-5
        np.testing.assert_allclose(float(fs.ops.convert_to_numpy(penalty)), numpy_penalty(name, args, x), rtol=rtol,
                                   err_msg=str(shape))


def test_defaults_configs_and_names_are_keras(fs):
    regs = fs.regularizers
    assert regs.L1().get_config() == {"l1": 0.01} and regs.L2().get_config() == {"l2": 0.01}
    assert regs.L1L2().get_config() == {"l1": 0.0, "l2": 0.0} and regs.L1L2(None, None).get_config()["l1"] == 0.0
    assert regs.OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}
    assert regs.l1 is regs.L1 and regs.l2 is regs.L2 and regs.l1_l2 is regs.L1L2
    assert regs.orthogonal_regularizer is regs.OrthogonalRegularizer
    for name, cls in {"l1": "L1", "l2": "L2", "l1l2": "L1L2", "L1L2": "L1L2", "orthogonal_regularizer":
                      "OrthogonalRegularizer"}.items():
        assert type(regs.get(name)).__name__ == cls, name
    assert regs.get(None) is None
    serialized = regs.serialize(regs.L1L2(l1=0.1, l2=0.2))
    assert serialized == {"module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2},
                          "registered_name": None}
    assert regs.deserialize(serialized).get_config() == {"l1": 0.1, "l2": 0.2}
    assert regs.get({"class_name": "OrthogonalRegularizer", "config": {"factor": 0.2, "mode": "columns"}}).mode == \
        "columns"


def test_layer_penalties_are_in_model_losses_and_in_the_loss(fs):
    """Weight penalties once per call (a shared layer too), activity penalties per output divided by the batch size;
    the loss is the compiled loss plus their sum."""
    regs = fs.regularizers
    shared = fs.layers.Dense(3, kernel_regularizer=regs.L2(0.5), bias_regularizer=regs.L1(0.25),
                             bias_initializer="ones", activity_regularizer=regs.L1(0.1))
    inputs = fs.Input(shape=(3,))
    model = fs.Model(inputs, shared(shared(inputs)))
    x = np.arange(12.0).reshape(4, 3) / 10
    kernel, bias = (np.asarray(w) for w in shared.get_weights())
    hidden = x @ kernel + bias
    outputs = hidden @ kernel + bias
    expected = sorted([0.5 * np.square(kernel).sum(), 0.25 * np.abs(bias).sum(), 0.1 * np.abs(hidden).sum() / 4,
                       0.1 * np.abs(outputs).sum() / 4])
    model(fs.ops.convert_to_tensor(x))
    found = sorted(float(fs.ops.convert_to_numpy(loss)) for loss in model.losses)
    np.testing.assert_allclose(found, expected, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((4, 3))
    logged = model.evaluate(x, y, batch_size=4, verbose=0)
    np.testing.assert_allclose(logged, np.mean(np.square(outputs)) + sum(expected), rtol=1e-5)


def test_a_frozen_layer_has_no_weight_penalty(fs):
    layer = fs.layers.Dense(2, kernel_regularizer="l2")
    model = fs.Sequential([fs.Input(shape=(2,)), layer])
    layer.trainable = False
    model(np.ones((1, 2)))
    assert model.losses == []


def test_the_l1_subgradient_at_zero_is_zero_on_every_backend(fs):
    """A zero bias under L1 stays zero with SGD and no data gradient (Keras on JAX moves it by lr * l1)."""
    layer = fs.layers.Dense(2, kernel_initializer="zeros", bias_regularizer=fs.regularizers.L1(0.5))
    model = fs.Sequential([fs.Input(shape=(2,)), layer])
    model.compile(optimizer=fs.optimizers.SGD(0.1), loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros((4, 2)), verbose=0, epochs=2)
    np.testing.assert_array_equal(np.asarray(layer.get_weights()[1]), [0.0, 0.0])


def test_regularizer_arguments_round_trip_through_layer_configs(fs):
    for layer in (fs.layers.Dense(2, kernel_regularizer="l1", bias_regularizer=fs.regularizers.L2(0.3),
                                  activity_regularizer="l1l2"),
                  fs.layers.Conv1D(2, 3, kernel_regularizer=fs.regularizers.OrthogonalRegularizer(0.1)),
                  fs.layers.Embedding(5, 2, embeddings_regularizer="l2")):
        config = layer.get_config()
        rebuilt = type(layer).from_config(config)
        assert rebuilt.get_config() == config


@pytest.mark.parametrize(("make", "message"), [
    (lambda r: r.L1(-0.1), r"L1: argument `l1` expected a non-negative float"),
    (lambda r: r.L2("big"), r"L2: argument `l2` expected a non-negative float"),
    (lambda r: r.L1L2(l2=float("nan")), r"L1L2: argument `l2` expected a non-negative float"),
    (lambda r: r.OrthogonalRegularizer(mode="diagonal"), r"OrthogonalRegularizer: argument `mode` expected"),
    (lambda r: r.OrthogonalRegularizer()(np.ones((2, 2, 2))), r"OrthogonalRegularizer: argument `inputs` expected a "
                                                               "tensor of rank 2"),
    (lambda r: r.get("l1_l2"), r"regularizers.get: argument `identifier` expected a regularizer named one of"),
    (lambda r: r.get(3), r"regularizers.get: argument `identifier` expected a Regularizer"),
])
def test_bad_arguments_are_refused_by_name(fs, make, message):
    with pytest.raises(ValueError, match=message):
        make(fs.regularizers)

"""One and several optimizer steps against their closed forms (docs/SPEC.md, "Optimizers")."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance import optimizer_reference as optimizer_ref
from conformance import reference as ref
from conformance.assertions import assert_close
from conformance.strategies import floats
from conformance.tolerances import tolerance

vectors = st.integers(1, 6).flatmap(lambda n: st.tuples(
    hnp.arrays(np.float64, (n,), elements=floats(-2, 2)),
    st.lists(hnp.arrays(np.float64, (n,), elements=floats(-2, 2)), min_size=1, max_size=4),
))
learning_rates = st.floats(1e-3, 0.5)


def run(fs, optimizer, start, gradients):
    variable = fs.Variable(start.astype(fs.config.floatx()))
    for g in gradients:
        optimizer.apply([fs.ops.convert_to_tensor(g.astype(fs.config.floatx()))], [variable])
    return variable.numpy()


@given(data=vectors, lr=learning_rates, momentum=st.sampled_from([0.0, 0.5, 0.9]), nesterov=st.booleans())
def test_sgd_matches_closed_form(fs, precision, device, data, lr, momentum, nesterov):
    start, gradients = data
    expected, m = start, np.zeros_like(start)
    for g in gradients:
        expected, m = ref.sgd_step(expected, g, lr, momentum, nesterov, m)
    actual = run(fs, fs.optimizers.SGD(learning_rate=lr, momentum=momentum, nesterov=nesterov), start, gradients)
    assert_close(actual, expected, *tolerance(precision, device), "SGD")


@given(data=vectors, lr=learning_rates, rho=st.sampled_from([0.9, 0.5]))
def test_rmsprop_matches_closed_form(fs, precision, device, data, lr, rho):
    start, gradients = data
    expected, v = start, np.zeros_like(start)
    for g in gradients:
        expected, v = ref.rmsprop_step(expected, g, lr, rho, 1e-7, v)
    rtol, atol = tolerance(precision, device)
    actual = run(fs, fs.optimizers.RMSprop(learning_rate=lr, rho=rho), start, gradients)
    assert_close(actual, expected, max(rtol, 1e-3) if precision == "float32" else rtol, atol, "RMSprop")


@given(data=vectors, lr=learning_rates)
def test_adam_matches_closed_form(fs, precision, device, data, lr):
    start, gradients = data
    expected, m, v = start, np.zeros_like(start), np.zeros_like(start)
    for t, g in enumerate(gradients, 1):
        expected, m, v = ref.adam_step(expected, g, lr, t, m=m, v=v)
    rtol, atol = tolerance(precision, device)
    actual = run(fs, fs.optimizers.Adam(learning_rate=lr), start, gradients)
    assert_close(actual, expected, max(rtol, 1e-3) if precision == "float32" else rtol, atol, "Adam")


@given(data=vectors, lr=learning_rates, decay=st.sampled_from([0.004, 0.1]))
def test_adamw_decays_before_the_adam_step(fs, precision, device, data, lr, decay):
    start, gradients = data
    expected, m, v = start, np.zeros_like(start), np.zeros_like(start)
    for t, g in enumerate(gradients, 1):
        expected = expected - expected * decay * lr
        expected, m, v = ref.adam_step(expected, g, lr, t, m=m, v=v)
    rtol, atol = tolerance(precision, device)
    actual = run(fs, fs.optimizers.AdamW(learning_rate=lr, weight_decay=decay), start, gradients)
    assert_close(actual, expected, max(rtol, 1e-3) if precision == "float32" else rtol, atol, "AdamW")


def test_iterations_count_applied_steps_and_learning_rate_is_settable(fs):
    optimizer = fs.optimizers.SGD(learning_rate=0.5)
    variable = fs.Variable(np.ones(2, dtype=fs.config.floatx()))
    optimizer.apply([fs.ops.ones((2,), dtype=fs.config.floatx())], [variable])
    optimizer.learning_rate = 0.25
    optimizer.apply_gradients(zip([fs.ops.ones((2,), dtype=fs.config.floatx())], [variable]))
    assert int(optimizer.iterations) == 2
    np.testing.assert_allclose(variable.numpy(), [0.25, 0.25])


def test_stateless_apply_returns_new_values_and_changes_no_variable(fs):
    stateful, stateless = fs.optimizers.Adam(learning_rate=0.1), fs.optimizers.Adam(learning_rate=0.1)
    a = fs.Variable(np.array([1.0, -1.0], dtype=fs.config.floatx()))
    b = fs.Variable(np.array([1.0, -1.0], dtype=fs.config.floatx()))
    grads = [fs.ops.convert_to_tensor(np.array([0.5, 2.0], dtype=fs.config.floatx()))]
    stateful.apply(grads, [a])
    stateless.build([b])
    (new_b,), new_opt = stateless.stateless_apply([v.value for v in stateless.variables], grads, [b.value])
    np.testing.assert_array_equal(b.numpy(), [1.0, -1.0])
    assert int(stateless.iterations) == 0
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(new_b), a.numpy())
    assert int(fs.ops.convert_to_numpy(new_opt[0])) == 1


def test_optimizer_names_resolve_with_keras_defaults(fs):
    defaults = {"sgd": ("SGD", 0.01), "rmsprop": ("RMSprop", 0.001), "adam": ("Adam", 0.001),
                "adamw": ("AdamW", 0.001)}
    for name, (cls, lr) in defaults.items():
        optimizer = fs.optimizers.get(name)
        assert type(optimizer).__name__ == cls
        np.testing.assert_allclose(float(fs.ops.convert_to_numpy(optimizer.learning_rate)), lr, rtol=1e-6)


SCHEDULES = {
    "ExponentialDecay": st.fixed_dictionaries({
        "initial_learning_rate": st.floats(0.01, 1.0), "decay_steps": st.integers(1, 10),
        "decay_rate": st.floats(0.1, 0.99), "staircase": st.booleans()}),
    "PiecewiseConstantDecay": st.integers(1, 4).flatmap(lambda n: st.fixed_dictionaries({
        "boundaries": st.lists(st.integers(0, 30), min_size=n, max_size=n, unique=True).map(sorted),
        "values": st.lists(st.floats(0.001, 1.0), min_size=n + 1, max_size=n + 1)})),
    "PolynomialDecay": st.fixed_dictionaries({
        "initial_learning_rate": st.floats(0.01, 1.0), "decay_steps": st.integers(1, 20),
        "end_learning_rate": st.floats(0.0, 0.01), "power": st.floats(0.5, 2.0), "cycle": st.booleans()}),
    "InverseTimeDecay": st.fixed_dictionaries({
        "initial_learning_rate": st.floats(0.01, 1.0), "decay_steps": st.integers(1, 10),
        "decay_rate": st.floats(0.1, 2.0), "staircase": st.booleans()}),
    "CosineDecay": st.fixed_dictionaries({
        "initial_learning_rate": st.floats(0.01, 1.0), "decay_steps": st.integers(1, 20),
        "alpha": st.floats(0.0, 0.5)}),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
@given(data=st.data())
def test_schedules_match_their_formulas(fs, precision, device, name, data):
    kwargs = data.draw(SCHEDULES[name])
    schedule = getattr(fs.optimizers.schedules, name)(**kwargs)
    steps = list(range(0, 40, 3))
    actual = [float(fs.ops.convert_to_numpy(schedule(np.asarray(s, dtype="int64")))) for s in steps]
    expected = [ref.schedule(name, s, **kwargs) for s in steps]
    rtol, atol = tolerance(precision, device)
    assert_close(actual, expected, max(rtol, 1e-6), atol, name)


def test_an_optimizer_uses_the_schedule_at_each_step(fs):
    schedule = fs.optimizers.schedules.PiecewiseConstantDecay([0, 1], [1.0, 0.5, 0.25])
    optimizer = fs.optimizers.SGD(learning_rate=schedule)
    variable = fs.Variable(np.zeros(1, dtype=fs.config.floatx()))
    for _ in range(4):
        optimizer.apply([fs.ops.ones((1,), dtype=fs.config.floatx())], [variable])
    np.testing.assert_allclose(variable.numpy(), [-(1.0 + 0.5 + 0.25 + 0.25)], rtol=1e-6)
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.1


def test_a_schedule_returning_a_non_scalar_is_refused(fs):
    class Vector(fs.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return fs.ops.ones((2,))

    optimizer = fs.optimizers.SGD(learning_rate=Vector())
    variable = fs.Variable(np.zeros(2, dtype=fs.config.floatx()))
    with pytest.raises(ValueError, match=r"`learning_rate`.*scalar.*shape \(2,\)"):
        optimizer.apply([fs.ops.ones((2,), dtype=fs.config.floatx())], [variable])


@given(data=vectors, clip=st.floats(0.1, 3.0), kind=st.sampled_from(["clipnorm", "clipvalue", "global_clipnorm"]))
def test_gradient_clipping_matches_its_formula(fs, precision, device, data, clip, kind):
    start, gradients = data
    g1, g2 = gradients[0], gradients[-1][::-1].copy()
    if kind == "clipnorm":
        expected = [g * clip / max(np.linalg.norm(g), clip) for g in (g1, g2)]
    elif kind == "clipvalue":
        expected = [np.clip(g, -clip, clip) for g in (g1, g2)]
    else:
        total = np.sqrt(np.sum(g1**2) + np.sum(g2**2))
        expected = [g * clip / max(total, clip) for g in (g1, g2)]
    optimizer = fs.optimizers.SGD(learning_rate=1.0, **{kind: clip})
    a = fs.Variable(np.zeros_like(g1).astype(fs.config.floatx()))
    b = fs.Variable(np.zeros_like(g2).astype(fs.config.floatx()))
    optimizer.apply([fs.ops.convert_to_tensor(g.astype(fs.config.floatx())) for g in (g1, g2)], [a, b])
    rtol, atol = tolerance(precision, device)
    assert_close(-a.numpy(), expected[0], max(rtol, 1e-6), atol, kind)
    assert_close(-b.numpy(), expected[1], max(rtol, 1e-6), atol, kind)


def test_clip_options_are_exclusive_and_positive(fs):
    with pytest.raises(ValueError, match=r"`global_clipnorm`.*None when clipnorm is set"):
        fs.optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match=r"`clipvalue`.*positive.*received -1"):
        fs.optimizers.Adam(clipvalue=-1)


# -- Keras's optimizer contract ------------------------------------------------------------------------------------
def momentum_sign(fs):
    """An optimizer written to Keras 3's contract ("Writing a custom optimizer"), `keras` replaced by `fs`:
    m = mu m + g;  var -= lr sign(m)."""
    ops = fs.ops

    class MomentumSign(fs.optimizers.Optimizer):
        def __init__(self, learning_rate=0.01, momentum=0.5, name="momentum_sign", **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.momentum = momentum

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.momentums = [self.add_variable_from_reference(reference_variable=v, name="m") for v in var_list]

        def update_step(self, gradient, variable, learning_rate):
            learning_rate = ops.cast(learning_rate, variable.dtype)
            gradient = ops.cast(gradient, variable.dtype)
            m = self.momentums[self._get_variable_index(variable)]
            self.assign(m, ops.add(ops.multiply(m, ops.cast(self.momentum, variable.dtype)), gradient))
            self.assign_sub(variable, ops.multiply(learning_rate, ops.sign(m)))

        def get_config(self):
            return {**super().get_config(), "momentum": self.momentum}

    return MomentumSign


def linear_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 3))
    return x, x @ np.array([[2.0], [-1.0], [0.5]]) + 0.3


def momentum_sign_reference(kernel, bias, x, y, lr, mu, steps, batch_size):
    """The closed form: Dense(1) under mse, m = mu m + g, var -= lr sign(m), batches in order."""
    params, moments = [kernel.copy(), bias.copy()], [np.zeros_like(kernel), np.zeros_like(bias)]
    for step in range(steps):
        start = step * batch_size % len(x)
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        d_pred = 2 * (xb @ params[0] + params[1] - yb) / yb.size
        for i, g in enumerate([xb.T @ d_pred, d_pred.sum(axis=0)]):
            moments[i] = mu * moments[i] + g
            params[i] = params[i] - lr * np.sign(moments[i])
    return params, moments


def test_an_optimizer_written_to_the_keras_contract_trains_a_model_to_its_closed_form(fs, precision, device):
    """fit() runs it through the backend's step: stateful apply on TensorFlow and torch, `stateless_apply` in a
    jitted step on JAX (and eagerly on numpy)."""
    x, y = linear_data()
    fs.utils.set_random_seed(1)
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    kernel, bias = model.get_weights()
    optimizer = momentum_sign(fs)(learning_rate=0.05, momentum=0.5)
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    expected, moments = momentum_sign_reference(kernel, bias, x, y, 0.05, 0.5, steps=9, batch_size=4)
    rtol, atol = tolerance(precision, device)
    for actual, wanted, what in zip(model.get_weights(), expected, ("kernel", "bias")):
        assert_close(actual, wanted, rtol, atol, f"MomentumSign {what}")
    assert [v.path for v in optimizer.variables] == ["momentum_sign/iterations", "momentum_sign/learning_rate",
                                                     f"momentum_sign/{model.layers[0].kernel.path.replace('/', '_')}_m",
                                                     f"momentum_sign/{model.layers[0].bias.path.replace('/', '_')}_m"]
    assert_close(optimizer.variables[2].numpy(), moments[0], max(rtol, 1e-6), max(atol, 1e-6), "momentum of kernel")
    assert int(optimizer.iterations) == 9


@pytest.mark.backends("numpy", "jax", reason="the stateless API's home: the JAX-style backends")
def test_an_optimizer_written_to_the_keras_contract_applies_statelessly(fs, precision, device):
    x, y = linear_data()
    kernel = fs.Variable(np.zeros((3, 1), dtype=fs.config.floatx()), name="kernel")
    bias = fs.Variable(np.zeros((1,), dtype=fs.config.floatx()), name="bias")
    optimizer = momentum_sign(fs)(learning_rate=0.1, momentum=0.5)
    optimizer.build([kernel, bias])
    trainable, state = [kernel.value, bias.value], [v.value for v in optimizer.variables]
    for step in range(3):
        xb, yb = x[4 * step:4 * step + 4], y[4 * step:4 * step + 4]
        params = [np.asarray(fs.ops.convert_to_numpy(t), dtype=np.float64) for t in trainable]
        d_pred = 2 * (xb @ params[0] + params[1] - yb) / yb.size
        grads = [fs.ops.convert_to_tensor(g.astype(fs.config.floatx())) for g in (xb.T @ d_pred, d_pred.sum(axis=0))]
        trainable, state = optimizer.stateless_apply(state, grads, trainable)
    expected, _ = momentum_sign_reference(np.zeros((3, 1)), np.zeros(1), x, y, 0.1, 0.5, steps=3, batch_size=4)
    rtol, atol = tolerance(precision, device)
    for actual, wanted in zip(trainable, expected):
        assert_close(fs.ops.convert_to_numpy(actual), wanted, rtol, atol, "MomentumSign, stateless")
    assert int(fs.ops.convert_to_numpy(state[0])) == 3 and int(optimizer.iterations) == 0
    np.testing.assert_array_equal(kernel.numpy(), np.zeros((3, 1)))


def test_a_built_in_optimizer_follows_the_keras_contract(fs):
    kernel = fs.Variable(np.ones((2, 2), dtype=fs.config.floatx()), name="kernel", path="dense/kernel")
    bias = fs.Variable(np.ones((2,), dtype=fs.config.floatx()), name="bias", path="dense/bias")
    optimizer = fs.optimizers.SGD(learning_rate=0.5, momentum=0.9)
    optimizer.build([kernel, bias])
    optimizer.build([kernel, bias])  # built once
    assert [v.path for v in optimizer.variables] == ["sgd/iterations", "sgd/learning_rate", "sgd/dense_kernel_momentum",
                                                     "sgd/dense_bias_momentum"]
    assert optimizer._get_variable_index(bias) == 1 and optimizer.momentums[1].shape == (2,)
    extra = optimizer.add_variable((3,), initializer="ones", name="extra")
    assert extra.path == "sgd/extra" and extra.dtype == fs.config.floatx() and optimizer.variables[-1] is extra
    np.testing.assert_array_equal(extra.numpy(), np.ones(3))
    optimizer.update_step(fs.ops.ones((2,), dtype=fs.config.floatx()), bias, optimizer.learning_rate)  # one variable
    np.testing.assert_allclose(bias.numpy(), [0.5, 0.5])
    np.testing.assert_allclose(optimizer.momentums[1].numpy(), [-0.5, -0.5])
    np.testing.assert_array_equal(kernel.numpy(), np.ones((2, 2)))
    first, second = optimizer.add_optimizer_variables([kernel, bias], ["first", "second"])  # made variable by variable
    assert [v.path for v in optimizer.variables[-4:]] == ["sgd/dense_kernel_first", "sgd/dense_kernel_second",
                                                         "sgd/dense_bias_first", "sgd/dense_bias_second"]
    assert [v.path for v in first] == ["sgd/dense_kernel_first", "sgd/dense_bias_first"] and second[1].shape == (2,)
    optimizer.assign_add(extra, fs.ops.ones((3,), dtype=fs.config.floatx()))
    optimizer.assign_sub(extra, 0.5 * fs.ops.ones((3,), dtype=fs.config.floatx()))
    np.testing.assert_allclose(extra.numpy(), [1.5, 1.5, 1.5])


def test_an_optimizer_without_update_step_says_what_to_implement(fs):
    variable = fs.Variable(np.ones(2, dtype=fs.config.floatx()))
    with pytest.raises(NotImplementedError, match=r"update_step\(gradient, variable, learning_rate\)"):
        fs.optimizers.Optimizer(learning_rate=0.1).apply([fs.ops.ones((2,), dtype=fs.config.floatx())], [variable])


def test_unknown_options_and_bad_option_values_are_refused_by_name(fs):
    fs.optimizers.Adam(use_ema=False, gradient_accumulation_steps=None)  # Keras's defaults
    with pytest.raises(ValueError, match=r"`gradient_accumulation_steps` expected None or an int >= 2.*received 1"):
        fs.optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match=r"`ema_momentum` expected a float in \[0, 1\].*received 1.5"):
        fs.optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match=r"`ema_overwrite_frequency` expected None or an int >= 1.*received 0"):
        fs.optimizers.SGD(use_ema=True, ema_overwrite_frequency=0)
    with pytest.raises(ValueError, match=r"`loss_scale_factor` expected None or a positive float.*received 0"):
        fs.optimizers.SGD(loss_scale_factor=0)
    with pytest.raises(TypeError, match="unexpected keyword argument `momentum_decay`"):
        fs.optimizers.SGD(momentum_decay=0.1)
    with pytest.raises(ValueError, match=r"`aggregation` expected one of .*received 'max'"):
        fs.optimizers.SGD().add_variable((1,), aggregation="max", name="x")


CHECKPOINTS = pathlib.Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("name", ["adam", "rmsprop", "sgd"])
def test_a_checkpoint_saved_before_the_keras_contract_loads_and_resumes_identically(fs, precision, device, name):
    """Checkpoints written by fitspec d28883a (before the optimizers took Keras's contract): the optimizer state
    keeps its paths and order, and training resumed from it equals d28883a's own resumed run."""
    expected = json.loads((CHECKPOINTS / "optimizer_checkpoints_d28883a.json").read_text())[name]
    model = fs.models.load_model(CHECKPOINTS / f"optimizer_{name}_d28883a.keras")
    assert [v.path for v in model.optimizer.variables] == expected["optimizer_paths"]
    rng = np.random.default_rng(0)
    x = rng.random((24, 3))
    y = np.stack([x.sum(axis=1), x[:, 0] - x[:, 2]], axis=1)
    model.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, shuffle=False, verbose=0)
    rtol, atol = tolerance(precision, device)
    for i, (actual, wanted) in enumerate(zip(model.get_weights(), expected["weights_after_resuming"])):
        assert_close(actual, wanted, rtol, atol, f"{name}: weight {i} after resuming")


# -- the optimizers of the breadth issue, one closed form each (docs/SPEC.md 7.3) -----------------------------------
def assert_matches_closed_form(fs, precision, device, name, options, data):
    start, gradients = data
    expected = optimizer_ref.run(name, start, gradients, **options)
    actual = run(fs, getattr(fs.optimizers, name)(**options), start, gradients)
    rtol, atol = tolerance(precision, device)
    assert_close(actual, expected, max(rtol, 1e-3) if precision == "float32" else rtol, atol, f"{name}({options})")


@given(data=vectors, lr=learning_rates, initial=st.sampled_from([0.0, 0.1, 1.0]), epsilon=st.sampled_from([1e-7, 1e-3]))
def test_adagrad_matches_closed_form(fs, precision, device, data, lr, initial, epsilon):
    options = {"learning_rate": lr, "initial_accumulator_value": initial, "epsilon": epsilon}
    assert_matches_closed_form(fs, precision, device, "Adagrad", options, data)


@given(data=vectors, lr=learning_rates, beta_1=st.sampled_from([0.9, 0.5]), beta_2=st.sampled_from([0.999, 0.8]))
def test_adamax_matches_closed_form(fs, precision, device, data, lr, beta_1, beta_2):
    options = {"learning_rate": lr, "beta_1": beta_1, "beta_2": beta_2}
    assert_matches_closed_form(fs, precision, device, "Adamax", options, data)


@given(data=vectors, lr=learning_rates, beta_1=st.sampled_from([0.9, 0.5]), beta_2=st.sampled_from([0.999, 0.8]))
def test_nadam_matches_closed_form(fs, precision, device, data, lr, beta_1, beta_2):
    options = {"learning_rate": lr, "beta_1": beta_1, "beta_2": beta_2}
    assert_matches_closed_form(fs, precision, device, "Nadam", options, data)


@given(data=vectors, lr=st.floats(1e-3, 2.0), rho=st.sampled_from([0.95, 0.5]))
def test_adadelta_matches_closed_form(fs, precision, device, data, lr, rho):
    assert_matches_closed_form(fs, precision, device, "Adadelta", {"learning_rate": lr, "rho": rho}, data)


@given(data=vectors, lr=learning_rates, beta_1=st.sampled_from([0.9, 0.5, 1.0]), beta_2=st.sampled_from([0.99, 0.5]))
def test_lion_matches_closed_form(fs, precision, device, data, lr, beta_1, beta_2):
    start, gradients = data
    directions = optimizer_ref.lion_directions(start, gradients, beta_1, beta_2)
    # a sign argument within float32 rounding of 0 may take either sign in float32
    assume(precision == "float64" or all(np.all((d == 0) | (np.abs(d) > 1e-5)) for d in directions))
    options = {"learning_rate": lr, "beta_1": beta_1, "beta_2": beta_2}
    assert_matches_closed_form(fs, precision, device, "Lion", options, data)


@given(data=vectors, lr=learning_rates, power=st.sampled_from([-0.5, -0.7, 0.0]), initial=st.sampled_from([0.1, 1.0]),
       l1=st.sampled_from([0.0, 0.01]), l2=st.sampled_from([0.0, 0.1]), shrinkage=st.sampled_from([0.0, 0.1]),
       beta=st.sampled_from([0.0, 0.5]))
def test_ftrl_matches_closed_form(fs, precision, device, data, lr, power, initial, l1, l2, shrinkage, beta):
    options = {"learning_rate": lr, "learning_rate_power": power, "initial_accumulator_value": initial,
               "l1_regularization_strength": l1, "l2_regularization_strength": l2,
               "l2_shrinkage_regularization_strength": shrinkage, "beta": beta}
    assert_matches_closed_form(fs, precision, device, "Ftrl", options, data)


@given(data=vectors, lr=learning_rates, beta_1=st.sampled_from([0.9, 0.5]), beta_2=st.sampled_from([0.999, 0.8]))
def test_lamb_matches_closed_form(fs, precision, device, data, lr, beta_1, beta_2):
    options = {"learning_rate": lr, "beta_1": beta_1, "beta_2": beta_2}
    assert_matches_closed_form(fs, precision, device, "Lamb", options, data)


matrices = st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(lambda shape: st.tuples(
    hnp.arrays(np.float64, shape, elements=floats(-2, 2)),
    st.lists(hnp.arrays(np.float64, shape, elements=floats(-2, 2)), min_size=1, max_size=4),
))


@given(data=st.one_of(vectors, matrices), lr=learning_rates, decay=st.sampled_from([-0.8, -0.5]),
       clip=st.sampled_from([1.0, 0.5]), epsilon_2=st.sampled_from([1e-3, 0.1]))
def test_adafactor_matches_closed_form_factored_for_matrices(fs, precision, device, data, lr, decay, clip, epsilon_2):
    """In float32 a row and a column of zero gradients make the factored moment eps_1^2 = 1e-60, 0 in float32, and the
    update NaN, in Keras as here (docs/SPEC.md 7.3): such gradients are left to float64."""
    assume(precision == "float64" or all(g.ndim < 2 or (np.abs(g).max(axis=-1).min() > 1e-3
                                                        and np.abs(g).max(axis=-2).min() > 1e-3) for g in data[1]))
    options = {"learning_rate": lr, "beta_2_decay": decay, "clip_threshold": clip, "epsilon_2": epsilon_2}
    assert_matches_closed_form(fs, precision, device, "Adafactor", options, data)


@given(data=vectors, lr=learning_rates, beta_1=st.sampled_from([0.9, 0.5]), warmup=st.sampled_from([0, 3]))
def test_schedule_free_adamw_matches_closed_form(fs, precision, device, data, lr, beta_1, warmup):
    """Closed form over the sequences x (average) and z (base) that Keras keeps as var and one slot."""
    options = {"learning_rate": lr, "beta_1": beta_1, "warmup_steps": warmup}
    assert_matches_closed_form(fs, precision, device, "ScheduleFreeAdamW", options, data)

def test_ftrl_refuses_what_keras_refuses(fs):
    with pytest.raises(ValueError, match=r"`learning_rate_power` expected a float <= 0.*received 0.5"):
        fs.optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match=r"`l1_regularization_strength` expected a float >= 0.*received -1"):
        fs.optimizers.Ftrl(l1_regularization_strength=-1)
    with pytest.raises(ValueError, match=r"`beta_1` expected a float in \(0, 1\]"):
        fs.optimizers.Lion(beta_1=0.0)


# -- the options of every optimizer (docs/SPEC.md 7.4) -----------------------------------------------------------
def tensor(fs, values):
    return fs.ops.convert_to_tensor(np.asarray(values, dtype=fs.config.floatx()))


def test_moving_averages_and_their_overwrite_equal_a_hand_computation(fs, precision, device):
    """SGD(lr 1) on w = 1 with gradients 1, 2, 3, 4: w = 0, -2, -5, -9; averages a = w at step 1, then
    a = 0.5 a + 0.5 w; every 3rd step w = a."""
    optimizer = fs.optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)
    w = fs.Variable(np.ones(1, dtype=fs.config.floatx()), name="w")
    seen = []
    for g in (1.0, 2.0, 3.0, 4.0):
        optimizer.apply([tensor(fs, [g])], [w])
        seen.append((w.numpy()[0], optimizer._model_variables_moving_average[0].numpy()[0]))
    # step 1: w 0, a 0;  step 2: w -2, a -1;  step 3: w -5, a -3, then w = a = -3;  step 4: w -7, a -5
    np.testing.assert_allclose(seen, [(0, 0), (-2, -1), (-3, -3), (-7, -5)], rtol=1e-6)
    assert [v.path for v in optimizer.variables][2:] == ["sgd/w_average"]
    optimizer.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [-5], rtol=1e-6)


def test_gradient_accumulation_updates_every_nth_call_from_the_mean_gradient(fs, precision, device):
    """SGD(lr 0.5, momentum 0.5), n = 2, gradients 1, 3, 5, 7: updates from 2 (calls 2) and 6 (call 4):
    m = -1, w = 0; then m = -0.5 - 3 = -3.5, w = -3.5; in between nothing moves and the accumulator holds g."""
    optimizer = fs.optimizers.SGD(learning_rate=0.5, momentum=0.5, gradient_accumulation_steps=2)
    w = fs.Variable(np.ones(1, dtype=fs.config.floatx()), name="w")
    seen = []
    for g in (1.0, 3.0, 5.0, 7.0):
        optimizer.apply([tensor(fs, [g])], [w])
        seen.append((w.numpy()[0], optimizer._accumulated_gradients[0].numpy()[0], optimizer.momentums[0].numpy()[0],
                     int(fs.ops.convert_to_numpy(optimizer.iterations))))
    np.testing.assert_allclose(seen, [(1, 1, 0, 0), (0, 0, -1, 1), (0, 5, -1, 1), (-3.5, 0, -3.5, 2)], rtol=1e-6)
    assert int(optimizer._iterations.numpy()) == 4
    assert [v.path for v in optimizer.variables][2:] == ["sgd/w_gradient_accumulator", "sgd/w_momentum"]


@pytest.mark.backends("numpy", "jax", reason="the stateless API's home: the JAX-style backends")
def test_gradient_accumulation_and_moving_averages_apply_statelessly(fs, precision, device):
    assert_stateless_apply_equals_apply(fs, lambda: fs.optimizers.Adam(learning_rate=0.1, gradient_accumulation_steps=3,
                                                                       use_ema=True),
                                        [[0.5, 2.0], [1.0, -1.0], [0.25, 0.5], [3.0, 1.0]])


def assert_stateless_apply_equals_apply(fs, make, gradients):
    """Two optimizers from `make`, one applied to a Variable, the other statelessly: the same values, to the bit."""
    stateful, stateless = make(), make()
    a = fs.Variable(np.array([1.0, -1.0], dtype=fs.config.floatx()))
    b = fs.Variable(np.array([1.0, -1.0], dtype=fs.config.floatx()))
    stateless.build([b])
    state, trainable = [v.value for v in stateless.variables], [b.value]
    for g in gradients:
        stateful.apply([tensor(fs, g)], [a])
        trainable, state = stateless.stateless_apply(state, [tensor(fs, g)], trainable)
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(trainable[0]), a.numpy())
    for mine, theirs in zip(state, stateful.variables):
        np.testing.assert_array_equal(fs.ops.convert_to_numpy(mine), theirs.numpy())


def test_exclude_from_weight_decay_by_variable_and_by_name(fs, precision, device):
    optimizer = fs.optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
    kernel = fs.Variable(np.ones(2, dtype=fs.config.floatx()), name="kernel")
    bias = fs.Variable(np.ones(2, dtype=fs.config.floatx()), name="bias")
    other = fs.Variable(np.ones(2, dtype=fs.config.floatx()), name="other")
    optimizer.exclude_from_weight_decay(var_list=[other], var_names=["bia"])
    optimizer.apply([tensor(fs, [0.0, 0.0])] * 3, [kernel, bias, other])
    np.testing.assert_allclose(kernel.numpy(), [0.9, 0.9], rtol=1e-6)  # 1 - 1 · 0.2 · 0.5
    np.testing.assert_array_equal(bias.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(other.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


def test_loss_scale_factor_scales_the_loss_and_divides_the_gradients(fs, precision, device):
    optimizer = fs.optimizers.SGD(learning_rate=1.0, loss_scale_factor=8.0)
    w = fs.Variable(np.zeros(1, dtype=fs.config.floatx()))
    assert float(fs.ops.convert_to_numpy(optimizer.scale_loss(tensor(fs, 0.5)))) == 4.0
    optimizer.apply([tensor(fs, [4.0])], [w])
    np.testing.assert_array_equal(w.numpy(), [-0.5])
    assert fs.optimizers.SGD().scale_loss(1.5) == 1.5


def test_fit_with_a_loss_scale_factor_trains_as_without_one(fs, precision, device):
    """The default train step differentiates scale_loss(loss) and the optimizer divides the gradients back: with a
    power of 2 the weights are the same to the bit, and the logged loss is the loss as it is."""
    x, y = linear_data()
    runs = []
    for factor in (None, 1024.0):
        fs.utils.set_random_seed(1)
        model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
        model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.05, loss_scale_factor=factor), loss="mse")
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        runs.append((model.get_weights(), history.history["loss"]))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


def test_fit_ends_with_the_moving_averages_as_weights(fs, precision, device):
    """Keras's fit calls optimizer.finalize_variable_values(model.trainable_weights) at its end."""
    x, y = linear_data()
    fs.utils.set_random_seed(1)
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.05, use_ema=True), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for weight, average in zip(model.get_weights(), model.optimizer._model_variables_moving_average):
        np.testing.assert_array_equal(weight, average.numpy())


def test_swap_ema_weights_evaluates_with_the_averages_and_swaps_back(fs, precision, device):
    x, y = linear_data()
    fs.utils.set_random_seed(1)
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.05, use_ema=True, ema_momentum=0.5), loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    averages = [a.numpy() for a in model.optimizer._model_variables_moving_average]
    swapped = model.evaluate(x, y, verbose=0, callbacks=[fs.callbacks.SwapEMAWeights()])
    for weight, wanted in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(weight, wanted)
    model.set_weights(averages)
    rtol, atol = tolerance(precision, device)
    assert_close(swapped, model.evaluate(x, y, verbose=0), rtol, atol, "loss with the averages")
    plain = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"SwapEMAWeights: argument `model.optimizer` expected an optimizer created "
                                         r"with use_ema=True"):
        plain.evaluate(x, y, verbose=0, callbacks=[fs.callbacks.SwapEMAWeights()])


# -- get / serialize / deserialize (docs/SPEC.md 7.5) -----------------------------------------------------------
def test_every_optimizer_serializes_in_keras_form_and_deserializes_to_its_config(fs):
    schedule = fs.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5)
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adamax", "Nadam", "Adadelta", "Lion", "Ftrl", "Lamb",
                 "Adafactor", "ScheduleFreeAdamW"):
        optimizer = getattr(fs.optimizers, name)(learning_rate=schedule, weight_decay=0.01, clipnorm=1.0,
                                                 use_ema=True, gradient_accumulation_steps=2)
        config = fs.optimizers.serialize(optimizer)
        assert set(config) == {"module", "class_name", "config", "registered_name"}
        assert config["class_name"] == name and config["module"] == "keras.optimizers"
        assert config["config"]["learning_rate"]["class_name"] == "ExponentialDecay"
        assert {"use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                "gradient_accumulation_steps", "clipvalue", "global_clipnorm"} <= set(config["config"])
        rebuilt = fs.optimizers.deserialize(json.loads(json.dumps(config)))
        assert type(rebuilt) is type(optimizer) and rebuilt.get_config() == optimizer.get_config(), name
        assert type(fs.optimizers.get({"class_name": name.lower(), "config": {}})) is type(optimizer)
    assert fs.optimizers.get(None) is None
    with pytest.raises(ValueError, match=r"optimizers.get: argument `identifier` expected .* received 'adamx'"):
        fs.optimizers.get("adamx")
    with pytest.raises(ValueError, match=r"argument `custom_objects` expected the class 'Mine'"):
        fs.optimizers.deserialize({"class_name": "Mine", "config": {}})


def test_schedules_serialize_in_keras_form_and_deserialize(fs):
    for name, kwargs in [("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
                         ("PiecewiseConstantDecay", {"boundaries": [2], "values": [0.1, 0.01]}),
                         ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "warmup_target": 0.2,
                                          "warmup_steps": 2}),
                         ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4})]:
        schedule = getattr(fs.optimizers.schedules, name)(**kwargs)
        config = fs.optimizers.schedules.serialize(schedule)
        assert config["module"] == "keras.optimizers.schedules" and config["class_name"] == name
        rebuilt = fs.optimizers.schedules.deserialize(json.loads(json.dumps(config)))
        assert type(rebuilt) is type(schedule) and rebuilt.get_config() == schedule.get_config()
    with pytest.raises(ValueError, match=r"argument `learning_rate_schedule` expected a LearningRateSchedule"):
        fs.optimizers.schedules.serialize(0.1)


@given(lr=st.floats(0.01, 1.0), first=st.integers(1, 8), t_mul=st.sampled_from([1.0, 2.0, 1.5]),
       m_mul=st.sampled_from([1.0, 0.5]), alpha=st.floats(0.0, 0.5))
def test_cosine_decay_restarts_matches_sgdr_restart_by_restart(fs, precision, device, lr, first, t_mul, m_mul, alpha):
    schedule = fs.optimizers.schedules.CosineDecayRestarts(lr, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    restarts = optimizer_ref.restart_steps(first, t_mul, 40)
    steps = [s for s in range(0, 40, 3) if s == 0 or s not in restarts]
    actual = [float(fs.ops.convert_to_numpy(schedule(np.asarray(s, dtype="int64")))) for s in steps]
    expected = [optimizer_ref.cosine_decay_restarts(s, lr, first, t_mul, m_mul, alpha) for s in steps]
    rtol, atol = tolerance(precision, device)
    assert_close(actual, expected, max(rtol, 1e-6), max(atol, 1e-6) if precision == "float32" else atol,
                 "CosineDecayRestarts")


# -- checkpoints of the new optimizers (docs/SPEC.md 7.2) ----------------------------------------------------------
#: one optimizer per kind of state the new ones keep: accumulators (and a plain slot per variable, as Adagrad,
#: Adadelta, Lion and Lamb keep), moving averages and a scalar slot, slots that start at a constant, factored slots
RESUMED = [("Adamax", {"gradient_accumulation_steps": 2}), ("Nadam", {"use_ema": True, "ema_overwrite_frequency": 3}),
           ("Ftrl", {"learning_rate": 0.1}), ("Adafactor", {})]


class TrainingStoppedError(Exception):
    pass


@pytest.mark.parametrize(("name", "options"), RESUMED, ids=[name for name, _ in RESUMED])
def test_a_run_of_a_new_optimizer_interrupted_and_restored_ends_as_the_uninterrupted_run(fs, precision, device,
                                                                                        tmp_path, name, options):
    """BackupAndRestore saves the optimizer's slots (7.2) with the model: a run stopped in its second epoch and
    restored from the backup ends with the uninterrupted run's weights and optimizer state, to the bit. In float64
    only: what it checks does not depend on the precision, and three fits per optimizer cost seconds on JAX."""
    if precision != "float64":
        pytest.skip("the state a backup restores is the same in float32; checked once, in float64")
    x, y = linear_data()

    class InterruptAt(fs.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == (1, 1):
                raise TrainingStoppedError

    def train(callbacks):
        fs.utils.set_random_seed(5)
        model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2, activation="relu"), fs.layers.Dense(1)])
        model.compile(optimizer=getattr(fs.optimizers, name)(**options), loss="mse")
        model.fit(x, y, epochs=2, batch_size=4, callbacks=callbacks, verbose=0)
        return model

    reference = train([])
    with pytest.raises(TrainingStoppedError):
        train([fs.callbacks.BackupAndRestore(tmp_path, save_freq=2), InterruptAt()])
    resumed = train([fs.callbacks.BackupAndRestore(tmp_path, save_freq=2)])
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(resumed.optimizer.variables) == len(reference.optimizer.variables)
    for a, b in zip(resumed.optimizer.variables, reference.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


# -- LossScaleOptimizer (docs/SPEC.md 7.6) -------------------------------------------------------------------------
def test_loss_scale_optimizer_skips_non_finite_steps_halves_and_grows_the_scale(fs, precision, device):
    """Inner SGD(lr 1), initial scale 4, growth every 2 finite steps; gradients (already scaled) 8, 8, inf, 4, NaN,
    2: w -= g / S on the finite ones. S: 4, 8 (after 2 finite), 4 (inf), 4, 2 (NaN), 2; w: -1, -3, -3, -4, -4, -5."""
    optimizer = fs.optimizers.LossScaleOptimizer(fs.optimizers.SGD(learning_rate=1.0), initial_scale=4.0,
                                                 dynamic_growth_steps=2)
    w = fs.Variable(np.ones(1, dtype=fs.config.floatx()), name="w")
    seen = []
    for g in (8.0, 8.0, np.inf, 4.0, np.nan, 2.0):
        optimizer.apply([tensor(fs, [g])], [w])
        seen.append((float(w.numpy()[0]), float(optimizer.dynamic_scale.numpy()), int(optimizer.step_counter.numpy()),
                     int(fs.ops.convert_to_numpy(optimizer.iterations))))
    assert seen == [(-1, 4, 1, 1), (-3, 8, 0, 2), (-3, 4, 0, 2), (-4, 4, 1, 3), (-4, 2, 0, 3), (-5, 2, 1, 4)]
    assert [v.path for v in optimizer.variables] == [
        "loss_scale_optimizer/iterations", "loss_scale_optimizer/learning_rate", "loss_scale_optimizer/step_counter",
        "loss_scale_optimizer/dynamic_scale", "sgd/iterations", "sgd/learning_rate"]
    assert float(fs.ops.convert_to_numpy(optimizer.scale_loss(tensor(fs, 0.5)))) == 1.0  # S = 2
    config = fs.optimizers.serialize(optimizer)
    assert fs.optimizers.deserialize(config).get_config() == optimizer.get_config()
    with pytest.raises(ValueError, match=r"`clipnorm` expected None \(set `clipnorm` on the inner optimizer\)"):
        fs.optimizers.LossScaleOptimizer(fs.optimizers.SGD(), clipnorm=1.0)


@pytest.mark.backends("numpy", "jax", reason="the stateless API's home: the JAX-style backends")
def test_loss_scale_optimizer_applies_statelessly_as_statefully(fs, precision, device):
    def make():
        return fs.optimizers.LossScaleOptimizer(fs.optimizers.Adam(learning_rate=0.1), initial_scale=8.0,
                                                dynamic_growth_steps=2)

    assert_stateless_apply_equals_apply(fs, make, [[0.5, 2.0], [np.inf, 1.0], [0.25, 0.5], [3.0, 1.0], [1.0, 1.0]])


def test_fit_with_a_loss_scale_optimizer_trains_as_its_inner_optimizer(fs, precision, device):
    """The default train step differentiates scale_loss(loss) (S a power of 2, no overflow): the weights are the
    inner optimizer's alone, to the bit, and the scale grows every 2 steps."""
    x, y = linear_data()
    runs = []
    for wrap in (False, True):
        fs.utils.set_random_seed(1)
        model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
        optimizer = fs.optimizers.Adam(learning_rate=0.05)
        if wrap:
            optimizer = fs.optimizers.LossScaleOptimizer(optimizer, initial_scale=2.0, dynamic_growth_steps=2)
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        runs.append(model)
    for a, b in zip(runs[0].get_weights(), runs[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert float(runs[1].optimizer.dynamic_scale.numpy()) == 2.0 * 2**3  # 6 finite steps

"""One and several optimizer steps against their closed forms (docs/SPEC.md, "Optimizers")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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

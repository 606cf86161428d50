"""The fused optimizer updates equal the core's per-variable updates, bit for bit on CPU."""

import numpy as np
import pytest
import torch

import fitspec_torch as fs
from fitspec import optimizers as core_optimizers
from fitspec.variables import StatelessScope

CONFIGS = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"learning_rate": 0.01}),
    ("Adam", {"clipnorm": 0.5}),
    ("RMSprop", {"global_clipnorm": 0.5}),
    ("SGD", {"clipvalue": 0.1, "momentum": 0.5}),
    ("Adam", {"learning_rate": "schedule"}),
]


def make(cls, kwargs):
    if kwargs.get("learning_rate") == "schedule":
        kwargs = {**kwargs, "learning_rate": fs.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)}
    return cls(**kwargs)


def per_variable(name):
    """The same optimizer without the fused mixin: the bound core class, which loops over variables."""
    bound = getattr(fs.optimizers, name).__bases__[1]
    assert bound.__name__ == name and issubclass(bound, getattr(core_optimizers, name))
    return bound


def variables(dtype, rng):
    return [fs.Variable(rng.normal(size=shape).astype(dtype), name=f"w{i}") for i, shape in
            enumerate([(4, 3), (3,), (2, 2, 2)])]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[f"{n}-{sorted(k)}" for n, k in CONFIGS])
def test_fused_update_equals_the_core_update_bit_for_bit(name, kwargs, dtype):
    rng = np.random.default_rng(0)
    fused_vars, core_vars = variables(dtype, rng), variables(dtype, np.random.default_rng(0))
    fused, reference = make(getattr(fs.optimizers, name), kwargs), make(per_variable(name), kwargs)
    assert type(fused)._apply_updates is not type(reference)._apply_updates
    for _ in range(5):
        grads = [rng.normal(size=v.shape).astype(dtype) for v in fused_vars]
        with torch.no_grad():
            fused.apply([torch.from_numpy(g) for g in grads], fused_vars)
            reference.apply([torch.from_numpy(g) for g in grads], core_vars)
    for a, b in zip(fused_vars, core_vars):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(fused.variables, reference.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(fused.iterations) == 5


def test_fused_update_skips_variables_without_gradient():
    v, w = fs.Variable(np.ones(3, "float32")), fs.Variable(np.ones(2, "float32"))
    opt = fs.optimizers.SGD(learning_rate=0.5)
    opt.apply([torch.ones(3), None], [v, w])
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])


def test_stateless_apply_uses_the_scope_and_leaves_variables_alone():
    v = fs.Variable(np.ones(3, "float32"))
    opt = fs.optimizers.Adam(learning_rate=0.1)
    opt.build([v])
    new_vars, new_opt = opt.stateless_apply([x.value for x in opt.variables], [torch.ones(3)], [v.value])
    np.testing.assert_array_equal(v.numpy(), np.ones(3))
    assert not np.allclose(new_vars[0].detach().numpy(), 1.0)
    assert int(opt.iterations) == 0 and int(new_opt[0]) == 1


def test_subclass_overriding_update_step_gets_the_core_loop():
    class Halving(fs.optimizers.SGD):
        def update_step(self, g, var, lr, i):
            var.assign(var.value * 0.5)

    v = fs.Variable(np.ones(2, "float32"))
    Halving().apply([torch.ones(2)], [v])
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.5])


def test_apply_names_the_expected_and_received_gradient_count():
    v = fs.Variable(np.ones(2, "float32"))
    with pytest.raises(ValueError, match=r"grads.*expected 1 gradients, one per variable; received <2 gradients>"):
        fs.optimizers.Adam().apply([torch.ones(2), torch.ones(2)], [v])


def test_apply_rejects_a_variable_the_optimizer_was_not_built_with():
    v, w = fs.Variable(np.ones(2, "float32"), name="v"), fs.Variable(np.ones(2, "float32"), name="stranger")
    opt = fs.optimizers.Adam()
    opt.apply([torch.ones(2)], [v])
    with pytest.raises(ValueError, match="unknown variable stranger"):
        opt.apply([torch.ones(2)], [w])


def test_scope_is_not_entered_by_fused_apply():
    v = fs.Variable(np.ones(2, "float32"))
    opt = fs.optimizers.SGD(learning_rate=1.0)
    with StatelessScope([(v, torch.zeros(2))]) as scope:
        opt.apply([torch.ones(2)], [v])
        np.testing.assert_array_equal(scope.get_current_value(v).numpy(), [-1.0, -1.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])

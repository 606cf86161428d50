"""The foreach mapping of the optimizers' list math equals the core's per-variable mapping, bit for bit on CPU."""

import contextlib

import numpy as np
import pytest
import torch

import fitspec_torch as fs
from fitspec.optimizers.leaves import Group
from fitspec.variables import StatelessScope
from fitspec_torch.optimizer import ForeachGroup

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
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.0, "epsilon": 1e-3, "weight_decay": 0.1}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": "schedule", "clipnorm": 0.5}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"beta_1": 0.5, "weight_decay": 0.1}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate_power": -0.7, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("Adafactor", {"learning_rate": 0.1}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 2}),
    ("Nadam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2, "weight_decay": 0.1}),
    ("Ftrl", {"gradient_accumulation_steps": 3, "use_ema": True, "loss_scale_factor": 4.0}),
    ("SGD", {"momentum": 0.5, "weight_decay": 0.1, "exclude": ["w1"]}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3, "weight_decay": 0.1}),
]


def make(name, kwargs):
    if kwargs.get("learning_rate") == "schedule":
        kwargs = {**kwargs, "learning_rate": fs.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)}
    kwargs = dict(kwargs)
    exclude = kwargs.pop("exclude", None)
    optimizer = getattr(fs.optimizers, name)(**kwargs)
    if exclude:
        optimizer.exclude_from_weight_decay(var_names=exclude)
    return optimizer


@contextlib.contextmanager
def per_variable():
    """The core's mapping, variable by variable with fs.ops, in place of the backend's foreach mapping."""
    fs.backend.optimizer_group = Group
    try:
        yield
    finally:
        del fs.backend.optimizer_group


@pytest.fixture
def foreach_groups(monkeypatch):
    """The groups the foreach mapping forms, as (dtype, number of variables)."""
    formed = []
    init = ForeachGroup.__init__

    def spy(self, ops, dtype, indices, *args):
        formed.append((dtype, len(indices)))
        init(self, ops, dtype, indices, *args)

    monkeypatch.setattr(ForeachGroup, "__init__", spy)
    return formed


def variables(dtypes, rng):
    return [fs.Variable(rng.normal(size=shape).astype(dtype), name=f"w{i}") for i, (shape, dtype) in
            enumerate(zip([(4, 3), (3,), (2, 2, 2)], dtypes))]


def train_both(name, kwargs, dtypes, steps=5, grads_of=None):
    """(foreach variables, per-variable variables, foreach optimizer, per-variable optimizer) after `steps` steps."""
    rng = np.random.default_rng(0)
    fused_vars, core_vars = variables(dtypes, rng), variables(dtypes, np.random.default_rng(0))
    fused, reference = make(name, kwargs), make(name, kwargs)
    for _ in range(steps):
        grads = [torch.from_numpy(rng.normal(size=v.shape).astype(v.dtype)) for v in fused_vars]
        with torch.no_grad():
            fused.apply(grads, fused_vars)
            with per_variable():
                reference.apply(grads, core_vars)
    return fused_vars, core_vars, fused, reference


def assert_bit_identical(fused_vars, core_vars, fused, reference):
    for a, b in zip(fused_vars + fused.variables, core_vars + reference.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[f"{n}-{sorted(k)}" for n, k in CONFIGS])
def test_foreach_update_equals_the_per_variable_update_bit_for_bit(name, kwargs, dtype, foreach_groups):
    fused_vars, core_vars, fused, reference = train_both(name, kwargs, [dtype] * 3)
    assert foreach_groups == [(dtype, 3)] * 5
    assert_bit_identical(fused_vars, core_vars, fused, reference)
    assert int(fused._iterations.numpy()) == 5  # the calls (`iterations` counts updates when accumulating)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[f"{n}-{sorted(k)}" for n, k in CONFIGS])
def test_foreach_update_with_tensor_scalars_equals_the_per_variable_update(name, kwargs, monkeypatch):
    """The scalars stay 0-d tensors where a group is not on the host (a GPU, a torch.compile trace): the path of a
    GPU step, taken here on the CPU by reporting a trace."""
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    hosts = []
    init = ForeachGroup.__init__

    def spy(self, *args):
        init(self, *args)
        hosts.append(self.host)

    monkeypatch.setattr(ForeachGroup, "__init__", spy)
    fused_vars, core_vars, fused, reference = train_both(name, kwargs, ["float32"] * 3)
    assert hosts == [None] * 5
    assert_bit_identical(fused_vars, core_vars, fused, reference)


def test_variables_of_two_dtypes_form_two_groups_with_the_core_numbers(foreach_groups):
    fused_vars, core_vars, fused, reference = train_both("Adam", {"learning_rate": 0.01},
                                                         ["float32", "float64", "float32"], steps=3)
    assert foreach_groups == [("float32", 2), ("float64", 1)] * 3
    assert_bit_identical(fused_vars, core_vars, fused, reference)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adam_over_many_steps_equals_the_per_variable_update_bit_for_bit(dtype):
    """Adam's bias corrections come from a table of the coming steps: across its refills, and with the learning
    rate changed midway, the variables stay the per-variable update's."""
    rng = np.random.default_rng(4)
    shapes = [(3, 2), (2,)]
    fused_vars = [fs.Variable(rng.normal(size=s).astype(dtype)) for s in shapes]
    core_vars = [fs.Variable(v.numpy()) for v in fused_vars]
    fused, reference = fs.optimizers.Adam(0.01, beta_2=0.99), fs.optimizers.Adam(0.01, beta_2=0.99)
    for step in range(600):
        if step == 300:
            fused.learning_rate = reference.learning_rate = 0.003
        grads = [torch.from_numpy(rng.normal(size=s).astype(dtype)) for s in shapes]
        with torch.no_grad():
            fused.apply(grads, fused_vars)
            with per_variable():
                reference.apply(grads, core_vars)
    assert_bit_identical(fused_vars, core_vars, fused, reference)


def test_gradients_of_another_dtype_are_cast_before_the_foreach_update(foreach_groups):
    v = fs.Variable(np.ones(2, "float32"))
    optimizer = fs.optimizers.SGD(learning_rate=0.5)
    optimizer.build([v])
    optimizer.apply([torch.ones(2, dtype=torch.float64)], [v])  # cast to float32 by apply: foreach
    assert foreach_groups == [("float32", 1)]
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.5])


def test_foreach_update_skips_variables_without_gradient():
    v, w = fs.Variable(np.ones(3, "float32")), fs.Variable(np.ones(2, "float32"))
    opt = fs.optimizers.SGD(learning_rate=0.5)
    opt.apply([torch.ones(3), None], [v, w])
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])


def test_update_runs_outside_autograd_when_grad_mode_is_on():
    v = fs.Variable(np.ones(2, "float32"))
    opt = fs.optimizers.Adam(learning_rate=0.1)
    assert torch.is_grad_enabled()
    opt.apply([torch.ones(2)], [v])
    assert v.value.grad_fn is None and v.value.requires_grad
    assert all(slot.value.grad_fn is None for slot in opt.variables)


def test_stateless_apply_uses_the_scope_and_leaves_variables_alone(foreach_groups):
    v = fs.Variable(np.ones(3, "float32"))
    opt = fs.optimizers.Adam(learning_rate=0.1)
    opt.build([v])
    new_vars, new_opt = opt.stateless_apply([x.value for x in opt.variables], [torch.ones(3)], [v.value])
    np.testing.assert_array_equal(v.numpy(), np.ones(3))
    assert not np.allclose(new_vars[0].detach().numpy(), 1.0)
    assert int(opt.iterations) == 0 and int(new_opt[0]) == 1
    assert foreach_groups == []


def test_subclass_overriding_update_step_gets_the_per_variable_loop(foreach_groups):
    class Halving(fs.optimizers.SGD):
        def update_step(self, gradient, variable, learning_rate):
            self.assign(variable, variable * 0.5)

    v = fs.Variable(np.ones(2, "float32"))
    Halving().apply([torch.ones(2)], [v])
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.5])
    assert foreach_groups == [("float32", 1)]  # the group is formed (weight decay would run there), not updated


def test_update_step_of_a_built_in_updates_one_variable_as_its_group_update():
    rng = np.random.default_rng(5)
    start = [rng.normal(size=(3,)).astype("float32") for _ in range(2)]
    by_group, by_step = [fs.Variable(s) for s in start], [fs.Variable(s) for s in start]
    grads = [torch.from_numpy(rng.normal(size=(3,)).astype("float32")) for _ in range(2)]
    grouped, stepped = fs.optimizers.RMSprop(0.1, momentum=0.5), fs.optimizers.RMSprop(0.1, momentum=0.5)
    grouped.build(by_group)
    stepped.build(by_step)
    with torch.no_grad():
        grouped.apply(grads, by_group)
        for g, v in zip(grads, by_step):
            stepped.update_step(g, v, stepped.learning_rate)
    for a, b in zip(by_group, by_step):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


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


def test_scope_is_not_entered_by_the_foreach_update():
    v = fs.Variable(np.ones(2, "float32"))
    opt = fs.optimizers.SGD(learning_rate=1.0)
    with StatelessScope([(v, torch.zeros(2))]) as scope:
        opt.apply([torch.ones(2)], [v])
        np.testing.assert_array_equal(scope.get_current_value(v).numpy(), [-1.0, -1.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])


def test_slots_are_made_on_their_variables_device_and_dtype():
    v = fs.Variable(np.ones(2, "float64"), name="w", path="dense/w")
    opt = fs.optimizers.Adam()
    opt.build([v])
    momentum = opt.variables[2]
    assert momentum.path == "adam/dense_w_momentum"
    assert momentum.value.device == v.value.device and momentum.dtype == "float64"
    assert not momentum.value.requires_grad


@pytest.mark.parametrize(("name", "kwargs"), [("Adam", {"amsgrad": True, "weight_decay": 0.1}),
                                              ("RMSprop", {"momentum": 0.5, "centered": True}),
                                              ("SGD", {"momentum": 0.9, "nesterov": True})])
def test_the_update_compiles_into_one_graph(name, kwargs):
    """Under torch.compile (jit_compile=True) an update is traced whole: its scalars are DeviceScalars, which meet
    the Leaves through the Leaves' own operators (a bare tensor beside one would break the graph)."""
    import torch._dynamo

    variables = [fs.Variable(np.ones((3, 2), "float32")), fs.Variable(np.ones(2, "float32"))]
    optimizer = getattr(fs.optimizers, name)(**kwargs)
    optimizer.build(variables)

    def step(grads):
        with torch.no_grad():
            optimizer.apply(grads, variables)

    torch._dynamo.reset()
    explanation = torch._dynamo.explain(step)([torch.ones(3, 2), torch.ones(2)])
    assert (explanation.graph_count, explanation.graph_break_count) == (1, 0), explanation.break_reasons


def test_slots_follow_a_variable_moved_to_another_device():
    v = fs.Variable(np.ones(2, "float32"), name="w")
    v._storage = torch.nn.Parameter(v._storage.detach().to("meta"))  # as model.to(device) leaves a Parameter
    optimizer = fs.optimizers.Adam()
    optimizer.build([v])
    assert [slot.value.device.type for slot in optimizer.variables[2:]] == ["meta", "meta"]
    assert optimizer.variables[0].value.device.type == "cpu"  # iterations: the backend's device

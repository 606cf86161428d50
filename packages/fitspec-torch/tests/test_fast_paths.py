"""The per-step fast paths give what the general code gives, and their caches follow every change they depend on."""

import contextlib

import numpy as np
import pytest
import torch

import fitspec_torch as fs
from fitspec_torch import ops


def compiled_model(seed=0, **compile_kwargs):
    fs.utils.set_random_seed(seed)
    inputs = fs.Input(shape=(3,))
    model = fs.Model(inputs, fs.layers.Dense(1)(fs.layers.Dense(4, activation="relu")(inputs)))
    model.compile(**{"optimizer": "adam", "loss": "mse", "metrics": ["mae"], **compile_kwargs})
    return model


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


@contextlib.contextmanager
def without_one_mean_kernel():
    """The core's reduction, sum(values) / size, in place of torch's one `mean` kernel."""
    fs.backend.mean_of_all = None
    try:
        yield
    finally:
        del fs.backend.mean_of_all


# -- losses and ops -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (64,), (5, 3), (33, 1)])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_reduction_by_torch_mean_equals_the_core_bit_for_bit(shape, dtype, weighted):
    rng = np.random.default_rng(1)
    y_true = torch.from_numpy(rng.random(shape).astype(dtype))
    y_pred = torch.from_numpy(rng.random(shape).astype(dtype)).requires_grad_()
    weight = torch.from_numpy(rng.random(shape[0]).astype(dtype)) if weighted else None
    loss = fs.losses.MeanSquaredError(dtype=dtype)
    a = loss(y_true, y_pred, weight)
    with without_one_mean_kernel():
        b = loss(y_true, y_pred, weight)
    if len(shape) > 1:  # per-sample values to reduce (a 1-d MSE is one value already)
        assert a.grad_fn.name().startswith("MeanBackward") and b.grad_fn.name().startswith("DivBackward")
    assert torch.equal(a, b)
    (grad_a,) = torch.autograd.grad(a, y_pred)
    (grad_b,) = torch.autograd.grad(b, y_pred)
    assert torch.equal(grad_a, grad_b)


@pytest.mark.parametrize(("dtype", "exact"), [(torch.float32, True), (torch.float64, True), (torch.float16, False),
                                              (torch.bfloat16, False)])
def test_torch_mean_is_taken_as_exact_on_cpu_in_single_and_double_precision_only(dtype, exact):
    mean = fs.backend.mean_of_all(torch.ones(3, dtype=dtype))
    assert (mean is not None) is exact and (mean is None or mean.item() == 1.0)


@pytest.mark.parametrize(("shape", "axis"), [((8, 1), -1), ((8, 1, 1), (1, 2)), ((1, 4), 0)])
def test_mean_over_axes_of_size_one_is_the_values_themselves(shape, axis):
    x = torch.from_numpy(np.random.default_rng(2).normal(size=shape).astype("float32")).requires_grad_()
    fast = ops.mean(x, axis=axis)
    reference = torch.mean(x, dim=axis)
    assert fast.shape == reference.shape and torch.equal(fast, reference)
    assert torch.equal(torch.autograd.grad(fast.sum(), x)[0], torch.autograd.grad(reference.sum(), x)[0])


# -- the optimizer's common call ---------------------------------------------------------------------------
def test_optimizer_common_call_counts_iterations_and_updates_as_the_general_call():
    rng = np.random.default_rng(3)
    shapes = [(4, 3), (3,)]
    fast_vars = [fs.Variable(rng.normal(size=s).astype("float32")) for s in shapes]
    general_vars = [fs.Variable(v.numpy()) for v in fast_vars]
    fast, general = fs.optimizers.Adam(0.01), fs.optimizers.Adam(0.01)
    for _ in range(4):
        grads = [torch.from_numpy(rng.normal(size=s).astype("float32")) for s in shapes]
        with torch.no_grad():
            fast.apply(grads, fast_vars)
            general.apply([g.numpy() for g in grads], general_vars)  # numpy gradients: the general call
    for a, b in zip(fast_vars + fast.variables, general_vars + general.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(fast.iterations.numpy()) == 4


def test_optimizer_checks_the_variables_of_an_unusual_call():
    variables = [fs.Variable(np.ones(2, "float32")), fs.Variable(np.ones(2, "float32"))]
    optimizer = fs.optimizers.SGD(0.1)
    optimizer.apply([torch.ones(2), torch.ones(2)], variables)
    with pytest.raises(ValueError, match="trainable_variables"):
        optimizer.apply([torch.ones(2), torch.ones(2)], [variables[0], fs.Variable(np.ones(2, "float32"))])


# -- caches of the layer tree ---------------------------------------------------------------------------------
def test_trainable_weights_follow_trainable_flags_and_new_weights():
    model = compiled_model()
    _, first, last = model.layers  # a Functional model's layers start with its InputLayer (Keras 3)
    assert len(model.trainable_weights) == 4
    first.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    first.trainable = True
    assert len(model.trainable_weights) == 4
    last.bias.trainable = False
    assert [v.path for v in model.trainable_weights] == [v.path for v in model.weights[:3]]
    last.bias.trainable = True
    assert len(model.trainable_weights) == 4
    first.extra = fs.Variable(np.zeros(2, "float32"))
    assert len(model.trainable_weights) == 5


def test_metrics_follow_attributes_and_recompiling():
    model = compiled_model()
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)
    names = model.metrics_names
    assert names == ["loss", "mae"]
    model.extra = fs.metrics.Mean(name="extra")
    assert model.metrics_names == [*names, "extra"]
    loss_tracker = model.metrics[0]
    model.compile(optimizer="sgd", loss="mse")
    assert model.metrics[0] is not loss_tracker and model.metrics_names == ["loss", "extra"]


def test_zero_grad_clears_every_parameter_like_torch():
    model = compiled_model()
    model.wrapped = fs.layers.TorchModuleWrapper(torch.nn.Linear(2, 2))
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_fit_logs_and_weights_equal_a_model_without_the_fast_paths_of_the_step(monkeypatch):
    """A model whose `metrics` is its own property takes the general update path: the same numbers."""
    x, y = data(64)
    fast = compiled_model()
    fast_history = fast.fit(x, y, batch_size=16, epochs=2, verbose=0).history

    class Listed(type(compiled_model())):
        @property
        def metrics(self):
            return self._collect_metrics()

    fs.utils.set_random_seed(0)
    inputs = fs.Input(shape=(3,))
    general = Listed(inputs, fs.layers.Dense(1)(fs.layers.Dense(4, activation="relu")(inputs)))
    general.compile(optimizer="adam", loss="mse", metrics=["mae"])
    general_history = general.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    assert fast_history == general_history
    for a, b in zip(fast.get_weights(), general.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_convert_batch_of_arrays_equals_the_general_conversion():
    model = compiled_model()
    x, y = data(4)
    fast = model.backend.convert_batch(model, (x, y))
    general = model.backend.convert_batch(model, [x, y])  # a list: the structure walk
    assert type(fast) is tuple and all(torch.equal(a, b) for a, b in zip(fast, general))
    x64 = x.astype("float64")
    assert model.backend.convert_batch(model, (x64, y))[0].dtype == torch.float32


def test_batches_follow_the_first_parameter_when_torch_converts_it():
    model = compiled_model()
    x, y = data(4)
    assert model.backend.convert_batch(model, (x, y))[0].dtype == torch.float32
    model.double()  # converts each Parameter in place
    assert model.backend.convert_batch(model, (x, y))[0].dtype == torch.float64
    overwrite = torch.__future__.get_overwrite_module_params_on_conversion()
    torch.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        model.float()  # registers new Parameter objects, behind fitspec's back
    finally:
        torch.__future__.set_overwrite_module_params_on_conversion(overwrite)
    assert model.backend.convert_batch(model, (x, y))[0].dtype == torch.float32


def test_added_losses_are_read_and_cleared_as_without_the_fast_path():
    class Penalty(fs.layers.Layer):
        def call(self, inputs):
            self.add_loss(fs.ops.sum(inputs) * 0.0 + 1.5)
            return inputs

    fs.utils.set_random_seed(0)
    inputs = fs.Input(shape=(3,))
    model = fs.Model(inputs, fs.layers.Dense(1)(Penalty()(inputs)))
    x, _ = data(4)
    model(x)
    assert [float(loss) for loss in model.losses] == [1.5]
    model(x)
    assert len(model.losses) == 1  # the outermost call cleared the previous call's loss first
    plain = compiled_model()
    plain(x)
    assert plain.losses == []


@pytest.mark.parametrize(("x_shape", "index_shape", "axis"),
                         [((6, 4), (6, 1), -1), ((6, 4), (2, 4), 0), ((6, 4), (1, 1), 1)])
def test_take_along_axis_equals_take_along_dim(x_shape, index_shape, axis):
    rng = np.random.default_rng(5)
    x = torch.from_numpy(rng.random(x_shape)).requires_grad_()
    indices = torch.from_numpy(rng.integers(0, x_shape[axis], index_shape))
    fast, reference = ops.take_along_axis(x, indices, axis), torch.take_along_dim(x, indices, dim=axis)
    assert torch.equal(fast, reference)
    assert torch.equal(torch.autograd.grad(fast.sum(), x)[0], torch.autograd.grad(reference.sum(), x)[0])

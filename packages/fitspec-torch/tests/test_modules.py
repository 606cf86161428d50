"""Layers and Models are torch.nn.Modules: parameters(), state_dict(), zero_grad(), train()/eval(), .to(), interop."""

import numpy as np
import pytest
import torch

import fitspec_torch as fs


def mlp():
    inputs = fs.Input(shape=(4,))
    h = fs.layers.Dense(3, activation="relu", name="hidden")(inputs)
    return fs.Model(inputs, fs.layers.Dense(1, name="out")(h))


def regression_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.random((n, 4)).astype("float32")
    return x, x.sum(axis=-1, keepdims=True)


def test_weights_are_the_registered_parameters():
    model = mlp()
    assert isinstance(model, torch.nn.Module)
    parameters = list(model.parameters())
    assert [id(p) for p in parameters] == [id(v.value) for v in model.weights]
    assert all(isinstance(v.value, torch.nn.Parameter) for v in model.weights)
    assert list(model.state_dict()) == ["hidden.kernel", "hidden.bias", "out.kernel", "out.bias"]
    assert model.get_layer("hidden") is dict(model.named_children())["hidden"]


def test_a_layer_attribute_is_the_variable_and_its_parameter_is_registered_under_the_weight_name():
    dense = fs.layers.Dense(2)
    dense(np.ones((1, 3), "float32"))
    assert isinstance(dense.kernel, fs.Variable)
    assert dense._parameters["kernel"] is dense.kernel.value
    np.testing.assert_array_equal(dense.state_dict()["kernel"].numpy(), dense.kernel.numpy())


def test_sequential_and_subclassed_sublayers_are_submodules():
    seq = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(2, name="a"), fs.layers.Dense(1, name="b")])
    assert [name for name, _ in seq.named_children()] == ["a", "b"]

    class Sub(fs.Model):
        def __init__(self):
            super().__init__()
            self.encoder = fs.layers.Dense(2)
            self.blocks = [fs.layers.Dense(2), fs.layers.Dense(1)]

        def call(self, x):
            x = self.encoder(x)
            for block in self.blocks:
                x = block(x)
            return x

    model = Sub()
    model(np.ones((1, 3), "float32"))
    assert len(list(model.parameters())) == 6
    assert "encoder.kernel" in model.state_dict()


def test_gradients_land_on_the_variables_value_and_zero_grad_clears_them():
    model = mlp()
    out = model(np.ones((2, 4), "float32"), training=True)
    out.sum().backward()
    assert all(v.value.grad is not None for v in model.trainable_weights)
    model.zero_grad()
    assert all(v.value.grad is None for v in model.trainable_weights)


def test_trainable_false_is_requires_grad_false():
    model = mlp()
    variable = model.get_layer("hidden").kernel
    variable.trainable = False
    assert not variable.value.requires_grad
    assert variable not in model.trainable_weights


def test_load_state_dict_writes_through_to_the_variables():
    a, b = mlp(), mlp()
    b.load_state_dict(a.state_dict())
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_double_converts_weights_in_place_and_training_follows():
    model = mlp()
    model.double()
    assert all(v.dtype == "float64" for v in model.weights)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(*regression_data(), epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert model.get_layer("out").kernel.value.dtype == torch.float64


def test_fit_trains_and_evaluate_predict_run_in_eval_mode_without_autograd():
    seen = {}

    class Probe(fs.Model):
        def test_step(self, data):
            seen["test"] = (self.training, torch.is_grad_enabled())
            return super().test_step(data)

        def predict_step(self, data):
            seen["predict"] = (self.training, torch.is_grad_enabled())
            return super().predict_step(data)

        def train_step(self, data):
            seen["train"] = (self.training, torch.is_grad_enabled())
            return super().train_step(data)

    inputs = fs.Input(shape=(4,))
    model = Probe(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse")
    x, y = regression_data()
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    model.predict(x, verbose=0)
    assert seen == {"train": (True, True), "test": (False, False), "predict": (False, False)}


def test_an_existing_torch_module_is_wrapped_and_trained_by_fit():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    inputs = fs.Input(shape=(4,))
    model = fs.Model(inputs, fs.layers.TorchModuleWrapper(net)(inputs))
    assert [v.value for v in model.trainable_weights] == list(net.parameters())
    model.compile(optimizer=fs.optimizers.Adam(0.01), loss="mse")
    before = net[0].weight.detach().clone()
    history = model.fit(*regression_data(256), epochs=5, verbose=0)
    assert not torch.equal(before, net[0].weight)  # the module's own Parameters were trained
    assert history.history["loss"][-1] < history.history["loss"][0] / 2


def test_a_torch_module_or_parameter_assigned_to_a_model_is_trained_too():
    class Mixed(fs.Model):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)
            self.scale = torch.nn.Parameter(torch.ones(()))

        def call(self, x):
            return self.linear(x) * self.scale

    model = Mixed()
    assert isinstance(model.linear, torch.nn.Linear)
    assert [v.path for v in model.trainable_weights] == ["mixed/linear.weight", "mixed/linear.bias", "mixed/scale"]
    model.compile(optimizer=fs.optimizers.SGD(0.05), loss="mse")
    before = model.scale.item()
    model.fit(*regression_data(), epochs=2, verbose=0)
    assert model.scale.item() != before


def test_wrapper_refuses_what_is_not_a_torch_module():
    with pytest.raises(ValueError, match=r"TorchModuleWrapper: argument `module` expected a torch.nn.Module"):
        fs.layers.TorchModuleWrapper(lambda x: x)


def test_a_parameter_assigned_in_place_of_a_weight_becomes_its_storage():
    dense = fs.layers.Dense(1)
    dense(np.ones((1, 2), "float32"))
    replacement = torch.nn.Parameter(torch.full((2, 1), 3.0))
    dense.kernel = replacement
    assert isinstance(dense.kernel, fs.Variable) and dense.kernel.value is replacement
    assert dense.state_dict()["kernel"].sum().item() == 6.0
    np.testing.assert_allclose(dense(np.ones((1, 2), "float32")).detach().numpy(), [[6.0]])


def test_a_layer_named_like_a_model_attribute_keeps_both():
    inputs = fs.Input(shape=(2,))
    model = fs.Model(inputs, fs.layers.Dense(1, name="optimizer")(inputs))
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, fs.optimizers.Adam)
    assert len(list(model.parameters())) == 2

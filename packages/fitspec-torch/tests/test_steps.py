"""The torch steps: the default train_step against a hand-written torch step, DataLoader input, torch.compile."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import fitspec_torch as fs


def data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 5)).astype("float32")
    return x, (x @ rng.random((5, 1)) + 0.1).astype("float32")


def model(seed=1, **compile_kwargs):
    fs.utils.set_random_seed(seed)
    inputs = fs.Input(shape=(5,))
    m = fs.Model(inputs, fs.layers.Dense(1)(fs.layers.Dense(4, activation="tanh")(inputs)))
    m.compile(**{"optimizer": fs.optimizers.SGD(0.1), "loss": "mse", "metrics": ["mae"], **compile_kwargs})
    return m


def test_default_train_step_is_a_plain_torch_step():
    m = model()
    x, y = data(16)
    weights = [torch.tensor(w, requires_grad=True) for w in m.get_weights()]
    h = torch.tanh(torch.from_numpy(x) @ weights[0] + weights[1])
    loss = ((h @ weights[2] + weights[3] - torch.from_numpy(y)) ** 2).mean()
    loss.backward()
    expected = [(w - 0.1 * w.grad).detach().numpy() for w in weights]
    logs = m.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(loss.item(), rel=1e-6)
    for got, want in zip(m.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_a_dataloader_gives_the_history_of_the_same_arrays():
    x, y = data()
    by_arrays = model().fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=16)
    by_loader = model().fit(loader, epochs=2, verbose=0).history
    for key in by_arrays:
        np.testing.assert_allclose(by_loader[key], by_arrays[key], rtol=1e-6)


def test_dataloaders_as_validation_data_and_in_evaluate_and_predict():
    x, y = data()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=32)
    m = model()
    history = m.fit(x, y, epochs=1, verbose=0, validation_data=loader).history
    assert set(history) == {"loss", "mae", "val_loss", "val_mae"}
    assert m.evaluate(loader, verbose=0) == pytest.approx(m.evaluate(x, y, verbose=0), rel=1e-6)
    np.testing.assert_allclose(m.predict(loader, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_a_map_style_dataset_is_batched_like_arrays():
    x, y = data()
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    m = model()
    history = m.fit(dataset, batch_size=32, epochs=2, verbose=0).history
    assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0]


def test_a_dataloader_yielding_x_only_feeds_predict():
    x, _ = data()
    loader = DataLoader(TensorDataset(torch.from_numpy(x)), batch_size=40)
    m = model()
    assert m.predict(loader, verbose=0).shape == (96, 1)


def test_jit_compile_runs_the_step_through_torch_compile_with_the_eager_results(monkeypatch):
    compiled_steps = []
    real_compile = torch.compile

    def spy(fn, *args, **kwargs):
        compiled_steps.append(fn)
        return real_compile(fn, *args, **kwargs)

    monkeypatch.setattr(torch, "compile", spy)
    x, y = data(64)
    eager = model().fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    assert compiled_steps == []
    compiled = model(jit_compile=True).fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    assert len(compiled_steps) == 1
    for key in eager:
        np.testing.assert_allclose(compiled[key], eager[key], rtol=1e-5)


def test_steps_per_execution_runs_several_steps_per_call():
    x, y = data(64)
    one = model().fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    fused = model(steps_per_execution=4).fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(fused["loss"], one["loss"], rtol=1e-6)


def test_a_frozen_model_fits_without_backward():
    m = model()
    for layer in m.layers:
        layer.trainable = False
    before = m.get_weights()
    m.fit(*data(32), epochs=1, verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


class Pairs(torch.utils.data.Dataset):
    """A user's own Dataset: a subclass of torch's, recognised through its MRO."""

    def __init__(self, x, y):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_a_user_dataset_subclass_works_as_x_validation_data_and_in_evaluate_and_predict():
    x, y = data()
    m = model()
    history = m.fit(Pairs(x, y), batch_size=32, epochs=2, shuffle=False, verbose=0,
                    validation_data=Pairs(x, y)).history
    assert len(history["val_loss"]) == 2
    by_arrays = model().fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], by_arrays["loss"], rtol=1e-6)
    assert m.evaluate(Pairs(x, y), verbose=0) == pytest.approx(m.evaluate(x, y, verbose=0), rel=1e-6)
    assert m.predict(Pairs(x, y), batch_size=10, verbose=0).shape == (96, 1)


def test_a_shuffled_dataset_sees_the_batches_shuffled_arrays_see():
    x, y = data()
    fs.utils.set_random_seed(5)
    by_dataset = model().fit(Pairs(x, y), batch_size=16, epochs=2, verbose=0).history
    fs.utils.set_random_seed(5)
    by_arrays = model().fit(x, y, batch_size=16, epochs=2, verbose=0).history
    np.testing.assert_allclose(by_dataset["loss"], by_arrays["loss"], rtol=1e-6)

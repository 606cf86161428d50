"""Bad input to the torch backend: each error names what was expected and what was received."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import fitspec_torch as fs


def compiled_model(cls=None):
    inputs = fs.Input(shape=(3,))
    m = (cls or fs.Model)(inputs, fs.layers.Dense(1, name="head")(inputs))
    m.compile(optimizer="adam", loss="mse")
    return m


class FourTuples(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return torch.ones(3), torch.ones(1), torch.ones(1), torch.ones(1)


def test_a_dataloader_yielding_four_elements_is_refused_by_name():
    loader = DataLoader(FourTuples(), batch_size=4)
    with pytest.raises(ValueError, match=r"fit: argument `x` expected batches of the form x, \(x,\), \(x, y\) or "
                                         r"\(x, y, sample_weight\); received <a batch that is a tuple of 4 elements>"):
        compiled_model().fit(loader, verbose=0)


def test_a_train_step_returning_an_array_logs_it_as_an_array():  # SPEC 6.10
    class VectorLogs(fs.Model):
        def train_step(self, data):
            return {"score": torch.ones(2, 3)}

    history = compiled_model(VectorLogs).fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    np.testing.assert_array_equal(history.history["score"][0], np.ones((2, 3)))


def test_a_train_step_returning_a_tensor_instead_of_a_dict_is_refused():
    class NotADict(fs.Model):
        def train_step(self, data):
            return torch.ones(())

    with pytest.raises(TypeError, match=r"train_step must return a dict mapping metric names to values; "
                                        r"received Tensor of shape \(\)"):
        compiled_model(NotADict).fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


@pytest.mark.parametrize("how", ["assign_parameter", "replace_data", "load_state_dict_assign"])
def test_fit_on_parameters_replaced_with_wrong_shapes_names_expected_and_received(how):
    m = compiled_model()
    head = m.get_layer("head")
    if how == "assign_parameter":
        head.kernel = torch.nn.Parameter(torch.zeros(5, 2))
    elif how == "replace_data":
        head.kernel.value.data = torch.zeros(5, 2)
    else:
        state = m.state_dict()
        state["head.kernel"] = torch.zeros(5, 2)
        with pytest.raises(RuntimeError, match="size mismatch for head.kernel"):  # torch's own check comes first
            m.load_state_dict(state, assign=True)
        head._parameters["kernel"] = torch.nn.Parameter(torch.zeros(5, 2))  # what a custom loader could do
    with pytest.raises(ValueError, match=r"fit: the parameter of weight 'head/kernel' was replaced with one of the "
                                         r"wrong shape: expected shape \(3, 1\); received a tensor of shape \(5, 2\)"):
        m.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"predict: the parameter of weight 'head/kernel'"):
        m.predict(np.ones((4, 3)), verbose=0)


def test_a_replaced_parameter_of_the_right_shape_is_adopted_and_trained():
    m = compiled_model()
    replacement = torch.nn.Parameter(torch.zeros(3, 1))
    m.get_layer("head")._parameters["kernel"] = replacement
    m.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0)
    assert m.get_layer("head").kernel.value is replacement
    assert replacement.abs().sum().item() > 0


def test_float64_tensors_from_a_dataloader_are_cast_to_the_model_dtype():
    x = torch.rand(8, 3, dtype=torch.float64)
    loader = DataLoader(list(zip(x, x.sum(-1, keepdim=True))), batch_size=4)
    m = compiled_model()
    m.fit(loader, verbose=0)
    assert m.get_layer("head").kernel.value.dtype == torch.float32


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device besides the CPU")
@pytest.mark.parametrize(("model_device", "data_device"), [("cuda", "cpu"), ("cpu", "cuda")])
def test_data_on_another_device_is_moved_to_the_model(model_device, data_device):
    m = compiled_model()
    m.to(model_device)
    x = torch.rand(8, 3, device=data_device)
    loader = DataLoader(list(zip(x, x.sum(-1, keepdim=True))), batch_size=4)
    history = m.fit(loader, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert m.predict(loader, verbose=0).shape == (8, 1)
    assert m.get_layer("head").kernel.value.device.type == model_device


def test_an_absent_device_is_refused_by_name():
    with pytest.raises(ValueError, match=r"use_device: argument `kind` expected .*; received 'cuda:99'"):
        fs.backend.use_device("cuda:99")

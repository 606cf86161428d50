"""The torch mapping of a Mean's state arithmetic (TorchMeanState) gives the core's MeanState numbers, bit for bit."""

import contextlib

import numpy as np
import pytest
import torch

import fitspec_torch as fs
from fitspec.metrics import MeanState
from fitspec_torch.metric import TorchMeanState


@contextlib.contextmanager
def core_state():
    """The core's arithmetic, through Variables and fs.ops, in place of the backend's."""
    fs.backend.mean_state = MeanState
    try:
        yield
    finally:
        del fs.backend.mean_state


UPDATES = {
    "scalar": lambda rng: [(torch.tensor(rng.random(), dtype=torch.float32),)],
    "scalar_weighted_by_batch_size": lambda rng: [(torch.tensor(rng.random(), dtype=torch.float32), 32)],
    "vector": lambda rng: [(torch.from_numpy(rng.random(7)),)],
    "matrix": lambda rng: [(torch.from_numpy(rng.random((5, 3)).astype("float32")),)],
    "tensor_weights": lambda rng: [(torch.from_numpy(rng.random(4)), torch.from_numpy(rng.random(4)))],
}


def test_the_backend_declares_its_mean_state():
    assert fs.backend.mean_state is TorchMeanState and issubclass(TorchMeanState, MeanState)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", sorted(UPDATES))
def test_mean_state_in_place_equals_the_core(kind, dtype):
    rng = np.random.default_rng(0)
    fast, core = fs.metrics.Mean(dtype=dtype), fs.metrics.Mean(dtype=dtype)
    for _ in range(3):
        for args in UPDATES[kind](rng):
            fast.update_state(*args)
            with core_state():
                core.update_state(*args)
    for a, b in zip(fast.variables, core.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with core_state():
        expected = core.result().numpy()
    np.testing.assert_array_equal(fast.result().numpy(), expected)


@pytest.mark.parametrize("name", ["MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalAccuracy"])
def test_metric_wrappers_keep_their_totals_out_of_autograd_with_the_core_numbers(name):
    rng = np.random.default_rng(1)
    y_pred = torch.from_numpy(rng.random((6, 3)).astype("float32")).requires_grad_()
    y_true = torch.from_numpy(rng.integers(0, 3, (6, 1))) if name.startswith("Sparse") else torch.rand(6, 3)
    fast, core = getattr(fs.metrics, name)(), getattr(fs.metrics, name)()
    fast.update_state(y_true, y_pred)
    with core_state():
        core.update_state(y_true, y_pred)
        expected = core.result().detach().numpy()
    np.testing.assert_array_equal(fast.result().numpy(), expected)
    assert not fast.total.value.requires_grad and fast.total.value.grad_fn is None


def test_result_of_an_empty_mean_is_zero():
    assert fs.metrics.Mean().result().item() == 0.0


def test_result_is_a_new_tensor_not_the_state():
    metric = fs.metrics.Mean()
    metric.update_state(torch.tensor([2.0]))
    result = metric.result()
    metric.update_state(torch.tensor([4.0]))
    assert result.item() == 2.0 and metric.result().item() == 3.0


def test_stateless_update_still_runs_the_core_code():
    metric = fs.metrics.Mean()
    state = metric.stateless_update_state([v.value for v in metric.variables], torch.tensor([1.0, 3.0]))
    assert [s.item() for s in state] == [4.0, 2.0]
    assert metric.count.numpy() == 0.0

"""The fast path of the Mean-based metrics equals the core's Mean bit for bit."""

import numpy as np
import pytest
import torch

import fitspec_torch as fs
from fitspec_torch.metric import FastMean


def core_class(name):
    """The bound core class under the fast one: its MRO has no FastMean."""
    bound = getattr(fs.metrics, name).__bases__[0]
    assert FastMean not in bound.__mro__
    return bound


UPDATES = {
    "scalar": lambda rng: [(torch.tensor(rng.random(), dtype=torch.float32),)],
    "scalar_weighted_by_batch_size": lambda rng: [(torch.tensor(rng.random(), dtype=torch.float32), 32)],
    "vector": lambda rng: [(torch.from_numpy(rng.random(7)),)],
    "matrix": lambda rng: [(torch.from_numpy(rng.random((5, 3)).astype("float32")),)],
    "tensor_weights": lambda rng: [(torch.from_numpy(rng.random(4)), torch.from_numpy(rng.random(4)))],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", sorted(UPDATES))
def test_mean_fast_path_equals_the_core(kind, dtype):
    rng = np.random.default_rng(0)
    fast, core = fs.metrics.Mean(dtype=dtype), core_class("Mean")(dtype=dtype)
    for _ in range(3):
        for args in UPDATES[kind](rng):
            fast.update_state(*args)
            core.update_state(*args)
    for a, b in zip(fast.variables, core.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(fast.result().numpy(), core.result().numpy())


@pytest.mark.parametrize("name", ["MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalAccuracy"])
def test_metric_wrappers_take_the_fast_path_with_the_core_numbers(name):
    rng = np.random.default_rng(1)
    y_pred = torch.from_numpy(rng.random((6, 3)).astype("float32")).requires_grad_()
    y_true = torch.from_numpy(rng.integers(0, 3, (6, 1))) if name.startswith("Sparse") else torch.rand(6, 3)
    fast, core = getattr(fs.metrics, name)(), core_class(name)()
    fast.update_state(y_true, y_pred)
    core.update_state(y_true, y_pred)
    np.testing.assert_array_equal(fast.result().numpy(), core.result().detach().numpy())
    assert not fast.total.value.requires_grad


def test_result_of_an_empty_mean_is_zero():
    assert fs.metrics.Mean().result().item() == 0.0


def test_stateless_update_still_runs_the_core_code():
    metric = fs.metrics.Mean()
    state = metric.stateless_update_state([v.value for v in metric.variables], torch.tensor([1.0, 3.0]))
    assert [s.item() for s in state] == [4.0, 2.0]
    assert metric.count.numpy() == 0.0

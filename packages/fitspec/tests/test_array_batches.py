"""Shuffled array batches: gathered a block at a time, equal to a gather per batch (SPEC 3.2)."""

from __future__ import annotations

import numpy as np
import pytest

from fitspec import data_adapters
from fitspec.data import ArrayDataset, epoch_permutation


@pytest.mark.parametrize("gather_bytes", [1, 300, 1 << 20])  # a batch per block, several blocks, one block
def test_block_gathered_batches_equal_batch_by_batch_gathers(monkeypatch, gather_bytes):
    monkeypatch.setattr(data_adapters, "GATHER_BYTES", gather_bytes)
    rng = np.random.default_rng(0)
    x = {"a": rng.random((53, 3)), "b": rng.integers(0, 9, size=(53, 2, 2))}
    y, weights = rng.random((53, 1)), rng.random((53,))
    dataset = ArrayDataset(x, y, weights)
    adapter = data_adapters.ArrayAdapter(dataset, batch_size=8, shuffle=True, seed=5)
    order = epoch_permutation(53, 5, 2)
    expected = [dataset.batch(order[start : start + 8]) for start in range(0, 53, 8)]
    got = list(adapter.batches(2))
    assert len(got) == len(expected) == 7
    for batch, want in zip(got, expected):
        (bx, by, bw), (wx, wy, ww) = batch, want
        for key in x:
            np.testing.assert_array_equal(bx[key], wx[key])
        np.testing.assert_array_equal(by, wy)
        np.testing.assert_array_equal(bw, ww)

"""A torch DataLoader under data-parallel processes: replica r reads rows r, r + R, ... of each global batch, as
DistributedSampler splits a dataset (SPEC 13.4)."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import fitspec_torch as fs
from fitspec.data_adapters import get_adapter
from fitspec.replicas import ReplicaGroup, ShardedAdapter


@pytest.mark.parametrize("world_size", [2, 3])
def test_a_dataloaders_batches_are_split_among_the_replicas_in_their_global_order(world_size):
    x = torch.arange(14, dtype=torch.float64)[:, None]
    loader = DataLoader(TensorDataset(x, x ** 2), batch_size=5)  # batches of 5, 5 and 4 rows
    shards = [list(ShardedAdapter(get_adapter(loader), ReplicaGroup(fs.backend, r, world_size), "fit").batches(0))
              for r in range(world_size)]
    for i, (bx, by) in enumerate(get_adapter(loader).batches(0)):
        rebuilt_x, rebuilt_y = np.empty(tuple(bx.shape)), np.empty(tuple(by.shape))
        for r in range(world_size):
            rebuilt_x[r::world_size], rebuilt_y[r::world_size] = (np.asarray(a) for a in shards[r][i])
        np.testing.assert_array_equal(rebuilt_x, np.asarray(bx))
        np.testing.assert_array_equal(rebuilt_y, np.asarray(by))

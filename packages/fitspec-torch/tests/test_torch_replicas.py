"""A torch DataLoader under data-parallel processes: replica r reads rows r, r + R, ... of each global batch, as
DistributedSampler splits a dataset (SPEC 13.4)."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import fitspec_torch as fs
from conformance.replica_checks import assert_replicas_read_interleaved_rows
from fitspec.replicas import ReplicaGroup


@pytest.mark.parametrize("world_size", [2, 3])
def test_a_dataloaders_batches_are_split_among_the_replicas_in_their_global_order(world_size):
    x = torch.arange(14, dtype=torch.float64)[:, None]
    loader = DataLoader(TensorDataset(x, x ** 2), batch_size=5)  # batches of 5, 5 and 4 rows
    assert_replicas_read_interleaved_rows(loader, [ReplicaGroup(fs.backend, r, world_size) for r in range(world_size)])

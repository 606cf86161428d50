"""The check shared by the backends' tests of native datasets under data-parallel replicas (SPEC 13.4, 13.7)."""

from __future__ import annotations

import numpy as np

from fitspec.data_adapters import get_adapter
from fitspec.replicas import ShardedAdapter


def assert_replicas_read_interleaved_rows(data, groups) -> None:
    """Each global batch of `data` (x, y) is rebuilt from the replicas' shards, replica r holding rows r, r + R, ...
    (R = len(groups), group r being replica r's), as DistributedSampler splits a dataset."""
    world_size = len(groups)
    shards = [list(ShardedAdapter(get_adapter(data), group, "fit").batches(0)) for group in groups]
    for i, (bx, by) in enumerate(get_adapter(data).batches(0)):
        rebuilt_x, rebuilt_y = np.empty(tuple(bx.shape)), np.empty(tuple(by.shape))
        for r in range(world_size):
            rebuilt_x[r::world_size], rebuilt_y[r::world_size] = (np.asarray(a) for a in shards[r][i])
        np.testing.assert_array_equal(rebuilt_x, np.asarray(bx))
        np.testing.assert_array_equal(rebuilt_y, np.asarray(by))

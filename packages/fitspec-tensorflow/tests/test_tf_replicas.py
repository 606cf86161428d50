"""A tf.data dataset under data-parallel processes: replica r reads rows r, r + R, ... of each global batch, as
DistributedSampler splits a dataset (SPEC 13.4, 13.7)."""

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs
from fitspec.data_adapters import get_adapter
from fitspec.replicas import ShardedAdapter
from fitspec_tensorflow.replicas import TensorflowReplicaGroup


@pytest.mark.parametrize("world_size", [2, 3])
def test_a_tf_datasets_batches_are_split_among_the_replicas_in_their_global_order(world_size):
    x = np.arange(14, dtype="float64")[:, None]
    dataset = tf.data.Dataset.from_tensor_slices((x, x ** 2)).batch(5)  # batches of 5, 5 and 4 rows
    groups = [TensorflowReplicaGroup(fs.backend, r, world_size) for r in range(world_size)]
    shards = [list(ShardedAdapter(get_adapter(dataset), group, "fit").batches(0)) for group in groups]
    for i, (bx, by) in enumerate(get_adapter(dataset).batches(0)):
        rebuilt_x, rebuilt_y = np.empty(tuple(bx.shape)), np.empty(tuple(by.shape))
        for r in range(world_size):
            rebuilt_x[r::world_size], rebuilt_y[r::world_size] = (np.asarray(a) for a in shards[r][i])
        np.testing.assert_array_equal(rebuilt_x, np.asarray(bx))
        np.testing.assert_array_equal(rebuilt_y, np.asarray(by))


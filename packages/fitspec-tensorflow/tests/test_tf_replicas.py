"""A tf.data dataset under data-parallel processes: replica r reads rows r, r + R, ... of each global batch, as
DistributedSampler splits a dataset (SPEC 13.4, 13.7)."""

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs
from conformance.replica_checks import assert_replicas_read_interleaved_rows
from fitspec_tensorflow.replicas import TensorflowReplicaGroup


@pytest.mark.parametrize("world_size", [2, 3])
def test_a_tf_datasets_batches_are_split_among_the_replicas_in_their_global_order(world_size):
    x = np.arange(14, dtype="float64")[:, None]
    dataset = tf.data.Dataset.from_tensor_slices((x, x ** 2)).batch(5)  # batches of 5, 5 and 4 rows
    assert_replicas_read_interleaved_rows(dataset, [TensorflowReplicaGroup(fs.backend, r, world_size)
                                                    for r in range(world_size)])


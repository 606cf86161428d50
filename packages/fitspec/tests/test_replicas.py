"""What data-parallel replicas in processes read and reduce (fitspec.replicas, SPEC 13.4), with R replicas
simulated by threads that meet at a barrier for each all-reduce."""

from __future__ import annotations

import threading
import types

import numpy as np
import pytest

from fitspec.data_adapters import get_adapter
from fitspec.py_dataset import PyDataset
from fitspec.replicas import ReplicaGroup, ShardedAdapter

OPS = types.SimpleNamespace(convert_to_tensor=lambda value, dtype: np.asarray(value, dtype=dtype),
                            dtype=lambda a: str(np.asarray(a).dtype), shape=np.shape, sum=np.sum, square=np.square)
BACKEND = types.SimpleNamespace(ops=OPS)


class ThreadReplicas(ReplicaGroup):
    """Replica `rank` of `world_size` threads; all_reduce_sum sums what every thread passed."""

    def __init__(self, rank, world_size, bus):
        super().__init__(BACKEND, rank, world_size)
        self.bus = bus

    def all_reduce_sum(self, tensors):
        self.bus["given"][self.rank] = [np.asarray(t) for t in tensors]
        self.bus["barrier"].wait()
        summed = [sum(parts) for parts in zip(*self.bus["given"])]
        self.bus["barrier"].wait()
        return summed

    def synced_sum(self, tensor):
        return self.all_reduce_sum([tensor])[0]


def _run_replicas(world_size, work):
    bus = {"given": [None] * world_size, "barrier": threading.Barrier(world_size)}
    results = [None] * world_size

    def run(rank):
        results[rank] = work(ThreadReplicas(rank, world_size, bus))

    threads = [threading.Thread(target=run, args=(rank,)) for rank in range(world_size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class Squares(PyDataset):
    def __len__(self):
        return 3

    def __getitem__(self, index):
        x = np.arange(index * 5, index * 5 + 5, dtype="float64")[:, None]
        return x, x ** 2


#: each data source, made afresh by its factory (a generator is one pass)
X = np.arange(15, dtype="float64")[:, None]
SOURCES = {
    "arrays": lambda: get_adapter(X, X ** 2, batch_size=5),
    "generator": lambda: get_adapter((X[i:i + 5], X[i:i + 5] ** 2) for i in range(0, 15, 5)),
    "PyDataset": lambda: get_adapter(Squares()),
}


@pytest.mark.parametrize("world_size", [2, 3])
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_the_replicas_batches_together_are_each_global_batch_in_its_order(source, world_size):
    make = SOURCES[source]
    shards = [list(ShardedAdapter(make(), ThreadReplicas(r, world_size, None), "fit").batches(0))
              for r in range(world_size)]
    for i, (x, _) in enumerate(make().batches(0)):
        rebuilt = np.empty_like(x)
        for r in range(world_size):
            rebuilt[r::world_size] = shards[r][i][0]  # replica r holds rows r, r + R, ... (DistributedSampler's)
        np.testing.assert_array_equal(rebuilt, x)


def test_averaged_gradients_are_the_gradient_of_the_global_batch_even_for_uneven_shards():
    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=(7, 3)), rng.normal(size=(7,)), rng.normal(size=(3,))

    def gradient(rows):  # of mean((x w - y)^2) over `rows`
        return 2 * x[rows].T @ (x[rows] @ w - y[rows]) / len(rows)

    def work(group):
        rows = np.arange(7)[group.rank::group.world_size]  # 3, 2 and 2 rows
        group.local_rows = len(rows)
        return group.average_gradients([gradient(rows), None])

    for averaged, missing in _run_replicas(3, work):
        np.testing.assert_allclose(averaged, gradient(np.arange(7)), rtol=1e-13)
        assert missing is None


def test_a_batch_of_fewer_rows_than_replicas_is_refused_naming_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        ReplicaGroup(BACKEND, 0, 4).shard((np.zeros((3, 2)),))


def test_batch_normalization_moments_are_the_global_batchs_even_for_uneven_shards():
    """Synchronised BatchNormalization: mean and biased variance over every replica's rows (SPEC 13.4)."""
    x = np.random.default_rng(1).normal(size=(7, 2, 3))
    for mean, variance in _run_replicas(3, lambda group: group.moments(x[group.rank::3], (0, 1))):
        np.testing.assert_allclose(mean, x.mean(axis=(0, 1), keepdims=True), rtol=1e-13)
        np.testing.assert_allclose(variance, x.var(axis=(0, 1), keepdims=True), rtol=1e-13)

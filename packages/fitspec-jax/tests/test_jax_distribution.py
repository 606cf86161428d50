"""DataParallel on JAX: the state replicated over the mesh, each batch sharded on its batch axis (SPEC 13.3).

Several CPU devices exist only when XLA_FLAGS is set before jax is imported: the check runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROGRAM = """
import json
import numpy as np
import fitspec_jax as fs
from fitspec_jax.executor import DataPlacement

d = fs.distribution
d.set_distribution(d.DataParallel())
placement = DataPlacement.of(d.distribution())
model = fs.Sequential([fs.Input((3,)), fs.layers.Dense(2)])
model.compile(optimizer="sgd", loss="mse")
x, y = np.ones((12, 3)), np.ones((12, 2))
model.fit(x, y, batch_size=8, epochs=1, verbose=0)
kernel = model.trainable_variables[0].value
full = placement.shard((np.ones((8, 3)),), stacked=False)[0]
stacked = placement.shard((np.ones((2, 8, 3)),), stacked=True)[0]
partial = placement.shard((np.ones((6, 3)),), stacked=False)[0]


def batch_normalized(seed):
    fs.utils.set_random_seed(seed)
    bn = fs.Sequential([fs.Input((3,)), fs.layers.BatchNormalization(momentum=0.5), fs.layers.Dense(1)])
    bn.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    bn.fit(rng.normal(size=(16, 3)) * [1.0, 3.0, 0.5], rng.normal(size=(16, 1)), batch_size=8, epochs=2, verbose=0)
    return [w.tolist() for w in bn.get_weights()]


sharded_bn = batch_normalized(3)
d.set_distribution(None)
one_device_bn = batch_normalized(3)
print(json.dumps({
    "bn_max_difference": max(float(np.max(np.abs(np.subtract(a, b)))) for a, b in zip(sharded_bn, one_device_bn)),
    "devices": d.list_devices(),
    "kernel_replicated": kernel.sharding.is_fully_replicated and len(kernel.sharding.device_set) == 4,
    "batch_shards": sorted(s.data.shape[0] for s in full.addressable_shards),
    "stacked_shards": sorted(s.data.shape[:2] for s in stacked.addressable_shards),
    "partial_replicated": partial.sharding.is_fully_replicated,
}))
"""


def test_data_parallel_replicates_the_state_and_shards_each_batch_on_four_host_devices():
    """Also: BatchNormalization's statistics are over the global batch (the sharded run's moving mean and
    variance are the one-device run's)."""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    assert seen["kernel_replicated"]
    assert seen["batch_shards"] == [2, 2, 2, 2]
    assert seen["stacked_shards"] == [[2, 2]] * 4
    assert seen["partial_replicated"]  # 6 rows on 4 devices: every device computes all of them
    assert seen["bn_max_difference"] < 1e-6  # float32; a per-device statistic would differ by ~0.1

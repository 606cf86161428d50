"""Data-parallel replicas with `tf.distribute`: MirroredStrategy over this process's devices,
MultiWorkerMirroredStrategy across the processes of `fitspec-launch` (one device each).

The core (fitspec.replicas) says what is reduced; this module runs it on TensorFlow's engine (SPEC 13.7):
variables made under the distribution are the strategy's (a metric's "on_read" variables SyncOnRead sums, the
others mirrored), one execution is `strategy.run` of the core's step loop inside one tf.function, each replica
takes its rows r, r + R, ... of the global batch (in one process; across processes the core's adapters split
the data), and the replicas' gradients are summed by the replica context's all-reduce.
"""

from __future__ import annotations

import json
import os
import weakref

import optree
import tensorflow as tf

from fitspec.errors import invalid_argument
from fitspec.replicas import ReplicaGroup

#: how long a collective of a multi-process run waits for a missing process before it fails (SPEC 13.2)
TIMEOUT_SECONDS = 60
_STRATEGIES = weakref.WeakKeyDictionary()  # distribution -> its strategy (made once)


def join(backend, environment) -> None:
    """A MultiWorkerMirroredStrategy of the launcher's processes: TF_CONFIG from the torchrun environment (worker r
    listens on MASTER_PORT + r of MASTER_ADDR), unless the environment already has one (several nodes)."""
    if "TF_CONFIG" not in os.environ:
        if environment.local_world_size != environment.world_size:
            raise invalid_argument("distribution.initialize", "TF_CONFIG", "the cluster's TF_CONFIG in the environment "
                                   "of a run on several nodes (a node's workers' addresses are not in torchrun's "
                                   "variables)", None)
        workers = [f"{environment.master_addr}:{environment.master_port + r}" for r in range(environment.world_size)]
        os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers},
                                              "task": {"type": "worker", "index": environment.rank}})
    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    implementation = (tf.distribute.experimental.CommunicationImplementation.NCCL if on_gpu
                      else tf.distribute.experimental.CommunicationImplementation.RING)
    options = tf.distribute.experimental.CommunicationOptions(implementation=implementation,
                                                              timeout_seconds=TIMEOUT_SECONDS)
    backend.process_strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def device_name(name: str) -> str:
    """"cpu:1" -> "/device:CPU:1"."""
    kind, _, index = str(name).partition(":")
    return f"/device:{kind.upper()}:{index}"


def strategy_of(backend, distribution):
    """The tf.distribute strategy that runs `distribution` (made once), or None: no distribution, or one device."""
    if distribution is None:
        return None
    strategy = _STRATEGIES.get(distribution)
    if strategy is not None:
        return strategy
    environment = backend.process_environment
    if environment is not None:
        if distribution.num_model_replicas != environment.world_size:
            raise invalid_argument("distribution.DataParallel", "device_mesh", "one device per process on "
                                   f"tensorflow ({environment.world_size} processes)",
                                   f"{distribution.num_model_replicas} devices")
        strategy = backend.process_strategy
    else:
        names = [str(d) for d in distribution.device_mesh.devices.flat]
        if len(names) == 1:
            return None
        known = {f"{d.device_type.lower()}:{i}" for kind in ("CPU", "GPU")
                 for i, d in enumerate(tf.config.list_logical_devices(kind))}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise invalid_argument("DeviceMesh", "devices", f"logical devices of this process among {sorted(known)}",
                                   unknown)
        strategy = tf.distribute.MirroredStrategy(devices=[device_name(n) for n in names])
    _STRATEGIES[distribution] = strategy
    return strategy


_AGGREGATIONS = {"none": tf.VariableAggregation.NONE, "mean": tf.VariableAggregation.MEAN,
                 "sum": tf.VariableAggregation.SUM, "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA}


def variable_options(variable) -> dict:
    """tf.Variable's synchronization and aggregation for a fitspec Variable made under a strategy: a metric's
    ("on_read") read as the sum (its aggregation) of the replicas' copies; every other variable mirrored, each
    replica updating its own copy with the all-reduced gradients (so the copies stay equal without a merge)."""
    if variable.synchronization != "on_read":
        return {}
    return {"synchronization": tf.VariableSynchronization.ON_READ,
            "aggregation": _AGGREGATIONS[variable.aggregation]}


class TensorflowReplicaGroup(ReplicaGroup):
    """Replica `rank` of `world_size`: inside `strategy.run` (one per replica), or this process in a multi-process
    run (outside it: the core splits the data by process, and reads metrics already summed)."""

    def all_reduce_sum(self, tensors: list) -> list:
        context = tf.distribute.get_replica_context()
        if context is None:
            raise RuntimeError("tensorflow DataParallel: an all-reduce outside the replicas' step (strategy.run).")
        return context.all_reduce(tf.distribute.ReduceOp.SUM, list(tensors))

    def synced_sum(self, tensor):
        rows = self.local_rows if self.local_rows is not None else 1
        context = tf.distribute.get_replica_context()

        @tf.custom_gradient
        def synced(x):
            def backward(grad):
                return context.all_reduce(tf.distribute.ReduceOp.SUM, grad * rows) / rows

            return context.all_reduce(tf.distribute.ReduceOp.SUM, x), backward

        return synced(tensor)

    def reduced_metric_values(self, variables) -> list:
        """Metric variables are SyncOnRead sums: outside the step, a read is already over every replica."""
        return [v.value for v in variables]


def replica_group(backend):
    """The group of the replica running this code (inside `strategy.run`), this process's in a multi-process run,
    or None."""
    strategy = strategy_of(backend, backend.distribution)
    if strategy is None:
        return None
    context = tf.distribute.get_replica_context()
    if context is not None and context.strategy is strategy:
        rank = int(tf.get_static_value(context.replica_id_in_sync_group))
        return _group(backend, rank, strategy.num_replicas_in_sync)
    environment = backend.process_environment
    return None if environment is None else _group(backend, environment.rank, environment.world_size)


def _group(backend, rank, world_size):
    groups = backend.__dict__.setdefault("_replica_groups", {})
    group = groups.get((rank, world_size))
    if group is None:
        group = groups[(rank, world_size)] = TensorflowReplicaGroup(backend, rank, world_size)
    return group


def distributed_execution(backend, strategy, kind, run_many):
    """`execution(batches)`: the core's step loop on every replica, each on its rows of every global batch (in one
    process), the logs of replica 0 (the metrics' variables hold every replica's share)."""
    split_here = backend.process_environment is None
    where = "fit" if kind.trains else "evaluate"

    def on_replica(batches):
        if split_here:
            group = backend.replica_group()
            batches = [group.shard(batch, where) for batch in batches]
        return run_many(batches)

    def execution(batches):
        outputs = strategy.run(on_replica, args=(batches,))
        return optree.tree_map(lambda value: strategy.experimental_local_results(value)[0], outputs)

    return execution


def check_variables(model, strategy) -> None:
    """Every variable a step writes must be the strategy's: made after `set_distribution` (or in its scope)."""
    variables = [*model.trainable_variables, *model.non_trainable_variables, *model.metrics_variables]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables += list(optimizer.variables)
    stray = [v.path for v in variables if not _is_of(v.tf_variable, strategy)]
    if stray:
        raise invalid_argument("fit", "model", "a model, optimizer and metrics made after "
                               "fs.distribution.set_distribution(DataParallel(...)) (or inside its scope()), so that "
                               "their variables are the replicas'", f"variables made before it: {stray[:3]}")


def _is_of(tf_variable, strategy) -> bool:
    return getattr(tf_variable, "_distribute_strategy", None) is strategy

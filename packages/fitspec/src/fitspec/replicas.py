"""Data-parallel replicas that are processes of their own (torch): the data each reads, and what they share.

Division of labour: the backend joins the processes and reduces tensors (`ReplicaGroup.all_reduce_sum`);
this module, written once, says what is reduced and how so that R replicas compute what one device
computes on the same global batches (SPEC 13.4):

- each global batch of B samples is split as DistributedSampler splits a dataset: replica r reads rows
  r, r + R, r + 2R, ... of it (B/R rows when R divides B), so the union of the replicas' batches is the
  global batch, in the global order of one device, for every data source;
- gradients: each replica's gradient is of the mean loss over its n_r rows, so the global gradient is
  sum_r n_r * g_r / sum_r n_r, one all-reduce of one flat bucket (the gradients times n_r, then n_r);
- metrics: every metric's state is a sum over samples (Keras 3 aggregates metric variables by "sum"),
  so a metric over the global batch reads the all-reduced sum of the replicas' states;
- files are written by rank 0 only; only rank 0 prints the progress bar.
"""

from __future__ import annotations

import optree

from fitspec.errors import invalid_argument


class ReplicaGroup:
    """The replicas of this process's data-parallel run; a backend subclass reduces tensors."""

    def __init__(self, backend, rank: int, world_size: int):
        self.backend, self.rank, self.world_size = backend, rank, world_size
        self.local_rows = None  # the rows of the batch of the step being run (`begin_step`)

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    # -- what the backend provides ------------------------------------------------------------------
    def all_reduce_sum(self, tensors: list) -> list:
        """Each tensor summed over the replicas (one collective for the list where the framework allows)."""
        raise NotImplementedError

    def barrier(self) -> None:
        raise NotImplementedError

    # -- data -------------------------------------------------------------------------------------------
    def shard(self, batch, where: str = "fit"):
        """This replica's rows of a global batch: rows rank, rank + R, ... of every array of it."""
        rows = self.rows(batch)
        if rows < self.world_size:
            raise invalid_argument(where, "batch_size", f"at least {self.world_size} rows in every batch, one per "
                                   f"replica of the DataParallel run", f"a batch of {rows} rows")
        return optree.tree_map(lambda a: a[self.rank::self.world_size], batch, none_is_leaf=False)

    def rows(self, batch) -> int:
        """The rows of a batch (its first array's leading dimension, static even while a step is traced)."""
        leaves = optree.tree_leaves(batch, none_is_leaf=False)
        return int(self.backend.ops.shape(leaves[0])[0]) if leaves else 0

    def begin_step(self, batch) -> None:
        self.local_rows = self.rows(batch)

    # -- gradients and metrics ------------------------------------------------------------------------
    def average_gradients(self, grads: list) -> list:
        """sum_r n_r * g_r / sum_r n_r for each gradient (None stays None), n_r the rows of this step's batch."""
        ops = self.backend.ops
        present = [i for i, g in enumerate(grads) if g is not None]
        if not present:
            return grads
        rows = self.local_rows if self.local_rows is not None else 1
        scaled = [grads[i] * rows for i in present]
        *summed, total = self.all_reduce_sum([*scaled, ops.convert_to_tensor(float(rows), dtype=ops.dtype(grads[
            present[0]]))])
        out = list(grads)
        for i, g in zip(present, summed):
            out[i] = g / total
        return out

    def synced_sum(self, tensor):
        """`tensor` summed over the replicas, differentiably: the backward pass sums n_r · g_r over the replicas and
        divides by this replica's n_r, so that after `average_gradients` (which weighs replica r by n_r / N) the
        gradient is that of the global batch's mean loss even for uneven shards."""
        raise NotImplementedError

    def moments(self, inputs, axes):
        """Mean and biased variance of `inputs` over `axes` and over every replica's rows (BatchNormalization's
        statistics of the global batch), as one device computes them: sum / count, then the centred squares."""
        ops = self.backend.ops
        shape = ops.shape(inputs)
        count = 1
        for axis in axes:
            count *= int(shape[axis])
        (total_count,) = self.all_reduce_sum([ops.convert_to_tensor(float(count), dtype=ops.dtype(inputs))])
        mean = self.synced_sum(ops.sum(inputs, axis=axes, keepdims=True)) / total_count
        variance = self.synced_sum(ops.sum(ops.square(inputs - mean), axis=axes, keepdims=True)) / total_count
        return mean, variance

    def reduced_metric_values(self, variables) -> list:
        """The values of metric Variables summed over the replicas (the state of the metrics over the global data)."""
        return self.all_reduce_sum([v.value for v in variables])


class ShardedAdapter:
    """An adapter whose batches are this replica's rows of the wrapped adapter's global batches."""

    def __init__(self, adapter, group: ReplicaGroup, where: str):
        self.adapter, self.group, self.where = adapter, group, where
        self.num_batches = adapter.num_batches

    def __getattr__(self, name):  # batch_size, seed, dataset, ...: the global adapter's
        return getattr(self.adapter, name)

    def peek(self):
        return self.group.shard(self.adapter.peek(), self.where)

    def batches(self, pass_index):
        return (self.group.shard(batch, self.where) for batch in self.adapter.batches(pass_index))

    def on_epoch_end(self):
        self.adapter.on_epoch_end()


def group_of(model):
    """The model's backend's ReplicaGroup, or None (one process, or a distribution run inside this process)."""
    return model.backend.replica_group()


def shard_adapter(model, adapter, where: str):
    group = group_of(model)
    if adapter is None or group is None:
        return adapter
    return ShardedAdapter(adapter, group, where)


def shard_batch(model, batch, where: str):
    """This replica's rows of one global batch (the *_on_batch methods), or the batch in a lone process."""
    group = group_of(model)
    return batch if group is None else group.shard(batch, where)


def writes_files(backend) -> bool:
    """Whether this process writes checkpoints and other files (and prints the progress bar): rank 0 of a replica
    group or of a multi-process run, or a lone process."""
    group = backend.replica_group()
    if group is not None:
        return group.is_chief
    environment = backend.process_environment
    return environment is None or environment.is_chief

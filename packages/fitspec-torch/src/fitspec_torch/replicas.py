"""Data-parallel replicas as processes with `torch.distributed` (gloo on the CPU, NCCL on CUDA devices).

The core (fitspec.replicas) says what is reduced; this module reduces it: the tensors of a list
are packed into one flat bucket per dtype and summed by one `all_reduce` each, as DDP's gradient
buckets are (SPEC 13.4 says why fitspec does not wrap the model in DistributedDataParallel).
"""

from __future__ import annotations

import datetime

import torch
import torch.distributed as dist

from fitspec.replicas import ReplicaGroup

#: how long a collective waits for a missing process before it fails (SPEC 13.2)
TIMEOUT_SECONDS = 60


def join(backend, environment) -> None:
    """`init_process_group` from the launcher's environment: NCCL where the backend runs on CUDA, else gloo."""
    if backend.device.type == "cuda":
        backend.use_device(f"cuda:{environment.local_rank}")
    if not dist.is_initialized():
        dist.init_process_group(
            backend="nccl" if backend.device.type == "cuda" else "gloo",
            init_method=f"tcp://{environment.master_addr}:{environment.master_port}",
            rank=environment.rank, world_size=environment.world_size,
            timeout=datetime.timedelta(seconds=TIMEOUT_SECONDS),
        )


class TorchReplicaGroup(ReplicaGroup):
    def all_reduce_sum(self, tensors: list) -> list:
        tensors = [t.detach() if isinstance(t, torch.Tensor) else torch.as_tensor(t) for t in tensors]
        out = [None] * len(tensors)
        by_dtype: dict = {}
        for i, t in enumerate(tensors):
            by_dtype.setdefault(t.dtype, []).append(i)
        for indices in by_dtype.values():
            bucket = torch.cat([tensors[i].reshape(-1) for i in indices])
            dist.all_reduce(bucket, op=dist.ReduceOp.SUM)
            offset = 0
            for i in indices:
                size = tensors[i].numel()
                out[i] = bucket[offset:offset + size].reshape(tensors[i].shape)
                offset += size
        return out

    def barrier(self) -> None:
        dist.barrier()

    def synced_sum(self, tensor):
        rows = self.local_rows if self.local_rows is not None else 1
        return _SyncedSum.apply(tensor, rows)


class _SyncedSum(torch.autograd.Function):
    """all_reduce(x) forward; all_reduce(n_r · g) / n_r backward (fitspec.replicas.ReplicaGroup.synced_sum)."""

    @staticmethod
    def forward(ctx, tensor, rows):
        ctx.rows = rows
        out = tensor.detach().clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad):
        scaled = (grad * ctx.rows).contiguous()
        dist.all_reduce(scaled, op=dist.ReduceOp.SUM)
        return scaled / ctx.rows, None

"""The PyTorch backend: float32 by default, Parameters as storage, layers as nn.Modules, CUDA when available.

The backend object holds the device new tensors go to and the floatx; `use_device` changes them
for this backend only (it turns TF32 off when it selects a GPU, so GPU float32 results keep full
precision). Batches go to the device of the model's parameters, whatever device they come from.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import optree
import torch

import fitspec
from fitspec.errors import invalid_argument
from fitspec_torch import ops as torch_ops
from fitspec_torch import random as torch_random
from fitspec_torch import replicas
from fitspec_torch.layer import TorchLayer, TorchModuleWrapper, first_parameter
from fitspec_torch.loss import mean_of_all
from fitspec_torch.metric import TorchMeanState
from fitspec_torch.optimizer import ForeachGroup
from fitspec_torch.trainer import TorchTrainer
from fitspec_torch.variables import TorchVariable


class TorchBackend(fitspec.Backend):
    name = "torch"
    ops = torch_ops
    variable_class = TorchVariable
    layer_class = TorchLayer
    trainer_class = TorchTrainer
    random_module = staticmethod(torch_random.bind)
    #: torch's addition to the namespace (the optimizers', metrics' and losses' fast kernels are the
    #: mappings below, not classes of their own)
    namespace = {"layers": {"TorchModuleWrapper": TorchModuleWrapper}}
    optimizer_group = ForeachGroup
    mean_of_all = staticmethod(mean_of_all)
    mean_state = TorchMeanState
    #: DataParallel with one process per replica (fitspec-launch / torchrun; SPEC 13.4)
    distributions = ("DataParallel",)

    def __init__(self):
        super().__init__()
        self.device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
        self._replica_group = None
        torch_ops.bind_backend(self)

    # -- distribution -------------------------------------------------------------------------------
    def list_devices(self, device_type=None) -> list[str]:
        """One device per process of the process group (`initialize`); without one, this process's devices."""
        kind = device_type or ("gpu" if self.device.type == "cuda" else "cpu")
        if self.process_environment is not None:
            return [f"{kind}:{rank}" for rank in range(self.process_environment.world_size)]
        if kind == "gpu":
            return [f"gpu:{i}" for i in range(torch.cuda.device_count())]
        return ["cpu:0"] if kind == "cpu" else []

    def join_processes(self, environment) -> None:
        replicas.join(self, environment)

    def replica_group(self):
        environment, distribution = self.process_environment, self.distribution
        if environment is None or distribution is None:
            return None
        group = self._replica_group
        if group is None or group.distribution is not distribution:
            if distribution.num_model_replicas != environment.world_size:
                raise invalid_argument("distribution.DataParallel", "device_mesh", f"one device per process on "
                                       f"torch ({environment.world_size} processes)",
                                       f"{distribution.num_model_replicas} devices")
            group = replicas.TorchReplicaGroup(self, environment.rank, environment.world_size)
            group.distribution = distribution
            self._replica_group = group
        return group

    # -- devices ------------------------------------------------------------------------------------
    def available_devices(self) -> list[str]:
        return ["cpu", "gpu"] if torch.cuda.is_available() else ["cpu"]

    def use_device(self, kind) -> None:
        """"cpu", "gpu" (the current CUDA device), or an explicit torch device such as "cuda:1"."""
        try:
            device = torch.device("cuda" if kind == "gpu" else kind)
        except (RuntimeError, TypeError):
            raise invalid_argument("torch.use_device", "kind", f"one of {self.available_devices()} or a torch device "
                                   "such as 'cuda:0'", kind) from None
        if device.type not in ("cpu", "cuda"):
            raise invalid_argument("torch.use_device", "kind", "a CPU or CUDA device", kind)
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise invalid_argument("torch.use_device", "kind", f"one of {self.available_devices()} "
                                       "(no CUDA device is available)", kind)
            if device.index is not None and device.index >= torch.cuda.device_count():
                raise invalid_argument("torch.use_device", "kind",
                                       f"a CUDA index below {torch.cuda.device_count()}", kind)
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        self.device = device

    # -- data ---------------------------------------------------------------------------------------
    def convert_batch(self, model, batch):
        """numpy arrays and tensors from any device -> tensors on the model's device; floats in its float dtype."""
        device, float_dtype = _placement(model, self)
        if type(batch) is tuple and all(type(part) is np.ndarray for part in batch):
            # (x, y[, sample_weight]) arrays, the batches of every array dataset: no structure walk
            return tuple([_on_device(part, device, float_dtype) for part in batch])
        return optree.tree_map(lambda leaf: _on_device(leaf, device, float_dtype), batch)

    # -- executions -----------------------------------------------------------------------------------
    def compile(self, kind, run_one, run_many, model):
        """Eager by default; `jit_compile=True` compiles the execution with torch.compile.

        Train executions run in train() mode with autograd; test and predict in eval() mode under
        `torch.no_grad()`.
        """
        if model.jit_compile is True and not model.run_eagerly:
            run_many = torch.compile(run_many)
        training = kind.trains

        def run(batches):
            if model.training != training:
                model.train(training)
            if training:
                return run_many(batches)
            with torch.no_grad():
                return run_many(batches)

        return run

    def fetch_logs(self, logs):
        return pull_logs(logs)


def _on_device(leaf, device, float_dtype):
    """An array or tensor as a tensor on `device`, floats in `float_dtype`."""
    if isinstance(leaf, torch.Tensor):
        placed = leaf.device == device
    else:
        array = np.asarray(leaf)
        if array.dtype.kind == "O":
            raise invalid_argument("fit", "x", "numeric arrays or tensors", leaf)
        flags = array.flags
        if not (flags.writeable and flags.c_contiguous):
            array = array.copy(order="C")
        leaf = torch.from_numpy(array)
        placed = device.type == "cpu"  # where from_numpy puts it
    dtype = float_dtype if leaf.is_floating_point() else None
    if placed and (dtype is None or leaf.dtype == dtype):
        return leaf  # what `.to()` would return, without its call
    return leaf.to(device=device, dtype=dtype, non_blocking=leaf.is_pinned())


def _placement(model, backend):
    p = first_parameter(model)
    if p is not None:
        return p.device, (p.dtype if p.is_floating_point() else torch_ops.DTYPES[backend.floatx()])
    return backend.device, torch_ops.DTYPES[backend.floatx()]


def pull_logs(logs):
    """A dict of one-element tensors -> a dict of floats with one device-to-host transfer; anything else as the
    core's default fetch brings it (fitspec.execution.logs then checks it and names what is wrong)."""
    if not (isinstance(logs, dict) or isinstance(logs, Mapping)) or not logs:  # dict first: no ABC check
        return optree.tree_map(torch_ops.convert_to_numpy, logs)
    on_cpu = True
    for v in logs.values():
        if not isinstance(v, torch.Tensor) or v.numel() != 1:
            return optree.tree_map(torch_ops.convert_to_numpy, logs)
        on_cpu = on_cpu and v.is_cpu
    if on_cpu:
        return {k: v.item() for k, v in logs.items()}
    pulled = torch.stack([v.detach().reshape(()).to(torch.float64) for v in logs.values()]).cpu().tolist()
    return dict(zip(logs.keys(), pulled))

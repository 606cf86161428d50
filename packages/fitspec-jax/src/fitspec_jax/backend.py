"""The JAX backend: jax arrays in Variables, jax.numpy ops, jax.value_and_grad, jitted executions.

Settings that jax keeps process-wide are changed only by an explicit call on the backend:
`set_floatx("float64")` turns on `jax_enable_x64` (and a later `set_floatx` of another dtype
turns it back off if this backend turned it on); `use_device(kind)` sets jax's default device
and the default matmul precision ("highest", so no TF32 on GPU). Importing changes nothing.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optree

import fitspec
from fitspec.errors import invalid_argument
from fitspec.execution.stateless import STATE_ADVICE
from fitspec_jax import ops as jax_ops
from fitspec_jax.executor import JitExecution, PackedLogs, pack_logs

#: how long `initialize()` waits for the other processes of a multi-process run (SPEC 13.8)
INITIALIZATION_TIMEOUT_SECONDS = 60


class JaxVariable(fitspec.Variable):
    """Stores a jax array of jax's canonical dtype for `dtype` (an int64 variable holds int32 while x64 is off).

    `dtype` stays the declared one, so checkpoints and `numpy()` are the same on every backend.
    """

    def _make_storage(self, array):
        with jax.ensure_compile_time_eval():  # a concrete array even when created while jax traces
            return jnp.asarray(array, dtype=jax_ops.canonical_dtype(self.dtype))

    def _write(self, value) -> None:
        if isinstance(value, jax.core.Tracer):
            raise RuntimeError(
                f"Variable '{self.path}' was assigned a traced value inside a jax transformation (jit, grad, scan), "
                f"outside any stateless scope; the new value would be lost. {STATE_ADVICE}"
            )
        self._storage = value

    def _to_numpy(self) -> np.ndarray:
        return np.asarray(self._storage).astype(self.dtype, copy=False)

    @classmethod
    def _read_values(cls, variables) -> list:
        return [v._storage for v in variables]

    @classmethod
    def _write_values(cls, variables, values) -> None:
        """An execution's outputs: concrete arrays of each Variable's stored dtype, stored as they are."""
        for variable, value in zip(variables, values):
            variable._storage = value


class JaxBackend(fitspec.Backend):
    name = "jax"
    ops = jax_ops
    variable_class = JaxVariable
    trainer_class = fitspec.StatelessTrainer
    #: DataParallel over this process's devices with jax.sharding (SPEC 13.3)
    distributions = ("DataParallel",)

    def __init__(self):
        super().__init__()
        self._x64_turned_on = False

    # -- floatx ---------------------------------------------------------------------------------
    def set_floatx(self, dtype: str) -> None:
        """float64 needs `jax_enable_x64`; it is turned on here, at this call, and only for float64."""
        super().set_floatx(dtype)
        x64_on = bool(jax.config.read("jax_enable_x64"))
        if dtype == "float64" and not x64_on:
            jax.config.update("jax_enable_x64", True)
            self._x64_turned_on = True
        elif dtype != "float64" and self._x64_turned_on:
            jax.config.update("jax_enable_x64", False)
            self._x64_turned_on = False

    # -- gradients --------------------------------------------------------------------------------
    def value_and_grad(self, fn, argnums=0, has_aux=False):
        return jax.value_and_grad(fn, argnums=argnums, has_aux=has_aux)

    # -- data -------------------------------------------------------------------------------------
    def convert_batch(self, model, batch):
        """numpy batch -> numpy batch of the dtypes jax will hold (floats in floatx).

        The executor stacks the batches of one execution and moves them to the device in one transfer.
        """
        floatx = jax_ops.canonical_dtype(self.floatx())
        if type(batch) is tuple and all(type(part) is np.ndarray for part in batch):
            # (x, y[, sample_weight]) arrays, the batches of every array dataset: no structure walk
            return tuple([_as_held(part, floatx) for part in batch])
        return optree.tree_map(lambda leaf: _as_held(np.asarray(leaf), floatx), batch, none_is_leaf=False)

    # -- devices ------------------------------------------------------------------------------------
    def available_devices(self) -> list[str]:
        kinds = ["cpu"]
        try:
            if jax.devices("gpu"):
                kinds.append("gpu")
        except RuntimeError:
            pass
        return kinds

    def use_device(self, kind: str) -> None:
        super().use_device(kind)
        jax.config.update("jax_default_device", jax.devices(kind)[0])
        jax.config.update("jax_default_matmul_precision", "highest")

    # -- distribution -----------------------------------------------------------------------------------
    def join_processes(self, environment) -> None:
        """`jax.distributed.initialize` from the launcher's environment, with gloo collectives on the CPU: every
        process then sees every process's devices, and a DataParallel mesh spans them (SPEC 13.8)."""
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"{environment.master_addr}:{environment.master_port}",
                                   num_processes=environment.world_size, process_id=environment.rank,
                                   initialization_timeout=INITIALIZATION_TIMEOUT_SECONDS)

    def list_devices(self, device_type=None) -> list[str]:
        """jax's devices of `device_type` (default: jax's default backend), as "cpu:0", "gpu:1", ..."""
        kind = device_type or jax.default_backend()
        try:
            devices = jax.devices(kind)
        except RuntimeError:
            return []
        return [f"{kind}:{device.id}" for device in devices]

    def backend_mesh(self, device_mesh):
        """A jax.sharding.Mesh of the jax devices named in `device_mesh` ("cpu:3" is jax.devices("cpu")[id 3])."""
        by_name = {}
        for kind in {str(name).split(":")[0] for name in device_mesh.devices.flat}:
            by_name.update({f"{kind}:{d.id}": d for d in jax.devices(kind)})
        unknown = [str(n) for n in device_mesh.devices.flat if str(n) not in by_name]
        if unknown:
            raise invalid_argument("DeviceMesh", "devices", f"jax devices among {sorted(by_name)}", unknown)
        devices = np.vectorize(lambda name: by_name[str(name)], otypes=[object])(device_mesh.devices)
        return jax.sharding.Mesh(devices, tuple(device_mesh.axis_names))

    # -- fs.random ------------------------------------------------------------------------------------
    def random_module(self, api):
        from fitspec_jax import random

        return random.bind(api)

    # -- executions -----------------------------------------------------------------------------------
    def compile(self, kind, run_one, run_many, model):
        return JitExecution(kind, run_one, run_many, model)

    def compile_results(self, result):
        """A metric's `stateless_result` as one jitted program, its output one vector (fitspec.execution.results)."""
        return jax.jit(lambda values: pack_logs({"result": result(values)}))

    def fetch_logs(self, logs):
        """`logs` on the host in one transfer: a step's PackedLogs, or any structure of arrays and PackedLogs (the
        metrics' results of fitspec.execution.results)."""
        if type(logs) is PackedLogs:
            return logs.fetch()
        return optree.tree_map(lambda leaf: leaf.fetch() if type(leaf) is PackedLogs else leaf, jax.device_get(logs),
                               is_leaf=lambda leaf: type(leaf) is PackedLogs, none_is_leaf=True)

    def is_traced(self, value) -> bool:
        return isinstance(value, jax.core.Tracer)


def _as_held(array: np.ndarray, floatx) -> np.ndarray:
    """`array` in the dtype jax will hold it in: floats in floatx, others canonical (int64 -> int32 without x64)."""
    dtype = floatx if array.dtype.kind == "f" else jax_ops.canonical_dtype(array.dtype)
    return array if array.dtype == dtype else array.astype(dtype)

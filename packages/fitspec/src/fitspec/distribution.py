"""`fs.distribution`: Keras 3's distribution API (meshes, layouts, DataParallel), one namespace per backend.

Division of labour: this module holds the names and their checks, written once; the backend says
which distributions it runs (`Backend.distributions`), lists its devices, joins a process group
(`Backend.join_processes`) and runs the steps (JAX: shardings inside the jitted step; torch: one
process per replica, `fitspec.replicas`). The current distribution is the backend's
(`backend.distribution`), never process-wide: two backends in one process keep their own (SPEC 12).
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.read_only import read_only

#: the name of the batch axis of a mesh made by DataParallel (Keras's DEFAULT_BATCH_DIM_NAME)
DEFAULT_BATCH_DIM_NAME = "batch"
#: the torchrun environment that `fitspec-launch` sets and `initialize()` reads
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class ProcessEnvironment:
    """Where this process stands in a multi-process run: its rank among `world_size`, and the rendezvous."""

    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    master_addr: str
    master_port: int

    @property
    def is_chief(self) -> bool:
        return self.rank == 0


def process_environment(job_addresses=None, num_processes=None, process_id=None, environ=None):
    """The `ProcessEnvironment` of `initialize`'s arguments (Keras's), else of KERAS_DISTRIBUTION_* (Keras's
    variables), else of the torchrun variables (TORCHRUN_VARIABLES); None when there is one process."""
    environ = os.environ if environ is None else environ
    where = "distribution.initialize"
    if job_addresses is None:
        job_addresses = environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None:
        num_processes = environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", environ.get("WORLD_SIZE"))
    if process_id is None:
        process_id = environ.get("KERAS_DISTRIBUTION_PROCESS_ID", environ.get("RANK"))
    if num_processes is None:
        return None
    world = _int(num_processes, where, "num_processes", minimum=1)
    if world == 1:
        return None
    if process_id is None:
        raise invalid_argument(where, "process_id", "the rank of this process (or RANK in the environment)", None)
    rank = _int(process_id, where, "process_id", minimum=0)
    if rank >= world:
        raise invalid_argument(where, "process_id", f"an int in [0, {world})", rank)
    if job_addresses:
        address = str(job_addresses).split(",")[0]
        host, _, port = address.rpartition(":")
        if not host:
            raise invalid_argument(where, "job_addresses", "comma-separated 'host:port' addresses", job_addresses)
    else:
        host, port = environ.get("MASTER_ADDR"), environ.get("MASTER_PORT")
        if host is None or port is None:
            raise invalid_argument(where, "job_addresses", "the coordinator's 'host:port' (or MASTER_ADDR and "
                                   "MASTER_PORT in the environment)", None)
    local_rank = _int(environ.get("LOCAL_RANK", rank), where, "LOCAL_RANK", minimum=0)
    local_world = _int(environ.get("LOCAL_WORLD_SIZE", world), where, "LOCAL_WORLD_SIZE", minimum=1)
    return ProcessEnvironment(rank, world, local_rank, local_world, host, _int(port, where, "MASTER_PORT", minimum=1))


def _int(value, where, argument, minimum):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid_argument(where, argument, f"an int >= {minimum}", value) from None
    if number < minimum or isinstance(value, bool) or (isinstance(value, float) and value != number):
        raise invalid_argument(where, argument, f"an int >= {minimum}", value)
    return number


# -- meshes and layouts ------------------------------------------------------------------------------------
class DeviceMesh:
    """A cluster of devices with named axes: `devices` reshaped to `shape` (Keras's, aligned with jax's Mesh).

    `devices` defaults to the backend's `list_devices()`; `prod(shape)` must equal their number.
    """

    backend = None  # set on the class bound to a backend

    def __init__(self, shape, axis_names, devices=None):
        where = "DeviceMesh"
        if not shape or not axis_names:
            raise invalid_argument(where, "shape", "a non-empty shape with as many non-empty axis_names",
                                   f"shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise invalid_argument(where, "axis_names", f"{len(shape)} names, one per axis of shape={tuple(shape)}",
                                   axis_names)
        devices = np.array(self.backend.list_devices() if devices is None else devices)
        if math.prod(shape) != devices.size:
            raise invalid_argument(where, "shape", f"as many devices as `devices` holds ({devices.size})", shape)
        self._shape, self._axis_names = tuple(shape), list(axis_names)
        self._devices = np.reshape(devices, self._shape)

    shape = read_only("_shape")
    axis_names = read_only("_axis_names")
    devices = read_only("_devices")

    @property
    def backend_mesh(self):
        """The framework's mesh (JAX: `jax.sharding.Mesh`), made once."""
        if not hasattr(self, "_backend_mesh"):
            self._backend_mesh = self.backend.backend_mesh(self)
        return self._backend_mesh

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """A layout of a tensor on a mesh: one mesh axis name (or None: not sharded) per tensor axis."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    axes = read_only("_axes")

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"TensorLayout.device_mesh: the layout already has a mesh ({self._device_mesh}); "
                             "it cannot be replaced.")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self):
        if self._device_mesh is not None:
            unknown = set(self._axes) - {None} - set(self._device_mesh.axis_names)
            if unknown:
                raise invalid_argument("TensorLayout", "axes", f"names of the mesh's axes "
                                       f"{self._device_mesh.axis_names} or None", self._axes)

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


# -- distributions ----------------------------------------------------------------------------------------
class Distribution:
    """How variables and data are laid out on a mesh; `set_distribution(d)` (or `with d.scope():`) makes it the
    backend's current one, which `fit`, `evaluate` and `predict` then follow."""

    backend = None  # set on the class bound to a backend

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._check_backend_runs_it()
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = auto_shard_dataset  # Keras's property that reads and sets it, without a rule
        environment = self.backend.process_environment
        self._num_processes = environment.world_size if environment else 1
        self._process_id = environment.rank if environment else 0

    def _check_backend_runs_it(self):
        name = type(self).__name__
        if name not in self.backend.distributions:
            runs = (f"it runs {', '.join(self.backend.distributions)}" if self.backend.distributions
                    else "it has no distribution: it runs on one device")
            raise NotImplementedError(f"distribution.{name} is not available on backend '{self.backend.name}': "
                                      f"{runs} (SPEC 13.1).")

    num_processes = read_only("_num_processes")

    @property
    def num_model_replicas(self):
        raise NotImplementedError

    @property
    def data_shard_id(self):
        """The data shard this process reads: its process id while every replica has a process of its own."""
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    device_mesh = read_only("_device_mesh")
    batch_dim_name = read_only("_batch_dim_name")

    def get_data_layout(self, data_shape):
        raise NotImplementedError

    def get_variable_layout(self, variable):
        raise NotImplementedError

    def get_tensor_layout(self, path):
        raise NotImplementedError

    @contextlib.contextmanager
    def scope(self):
        """This distribution as the backend's current one inside the block."""
        previous = self.backend.distribution
        set_distribution(self.backend, self)
        try:
            yield
        finally:
            set_distribution(self.backend, previous)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}, batch_dim_name={self.batch_dim_name}>"


class DataParallel(Distribution):
    """Every variable replicated, the batch axis of the data sharded over the mesh's first axis.

    `device_mesh` (a DeviceMesh) or `devices` (a list, made a 1-D mesh with axis "batch"), not both; neither:
    every device of `list_devices()`.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        self._check_backend_runs_it()
        if device_mesh is not None and devices is not None:
            raise invalid_argument("DataParallel", "devices", "None when `device_mesh` is given", devices)
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise invalid_argument("DataParallel", "device_mesh", "a DeviceMesh", device_mesh)
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"DataParallel expects a 1-D mesh; received one of shape {device_mesh.shape}: its "
                              "first axis is the data-parallel axis.", stacklevel=2)
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            return
        devices = np.array(self.backend.list_devices() if devices is None else devices)
        mesh = self.backend.api.distribution.DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_data_layout(self, data_shape):
        axes = [None] * len(data_shape)
        axes[0] = self.batch_dim_name
        return TensorLayout(axes, self.device_mesh)

    def get_variable_layout(self, variable):
        layout = getattr(variable, "_layout", None)
        return layout if layout is not None else TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Variables sharded by a LayoutMap: not built on any backend yet (SPEC 13.1)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, **kwargs):
        self._check_backend_runs_it()


class LayoutMap:
    """Variable paths (regexes) -> TensorLayout, for ModelParallel: not built on any backend yet (SPEC 13.1)."""

    backend = None

    def __init__(self, device_mesh):
        raise NotImplementedError(f"distribution.LayoutMap is not available on backend '{self.backend.name}': "
                                  "ModelParallel is not built yet; DataParallel replicates every variable (SPEC 13.1).")


# -- functions (bound to a backend by `namespace`) ----------------------------------------------------------
def list_devices(backend, device_type=None) -> list[str]:
    """The devices a distribution can use, as "kind:index" strings, of one kind (default: gpu where present)."""
    if device_type is not None and device_type not in ("cpu", "gpu", "tpu"):
        raise invalid_argument("distribution.list_devices", "device_type", "'cpu', 'gpu', 'tpu' or None", device_type)
    return list(backend.list_devices(device_type))


def get_device_count(backend, device_type=None) -> int:
    return len(list_devices(backend, device_type))


def initialize(backend, job_addresses=None, num_processes=None, process_id=None) -> None:
    """Join the processes of a multi-process run (arguments as Keras's; else the environment that `fitspec-launch`
    and torchrun set). A no-op when there is one process (WORLD_SIZE absent or 1)."""
    environment = process_environment(job_addresses, num_processes, process_id)
    if environment is None:
        return
    if backend.process_environment is not None:
        if backend.process_environment == environment:
            return
        raise RuntimeError(f"distribution.initialize: backend '{backend.name}' already joined "
                           f"{backend.process_environment}; received {environment}.")
    backend.join_processes(environment)
    backend.process_environment = environment


def distribution(backend):
    """The backend's current distribution, or None."""
    return backend.distribution


def set_distribution(backend, value) -> None:
    """Make `value` (a Distribution of this backend, or None) the backend's current distribution."""
    if value is not None and (not isinstance(value, Distribution) or value.backend is not backend):
        raise invalid_argument("distribution.set_distribution", "value",
                               f"a Distribution of backend '{backend.name}' or None", value)
    backend.distribution = value


NAMES = ("DeviceMesh", "TensorLayout", "Distribution", "DataParallel", "ModelParallel", "LayoutMap", "list_devices",
         "get_device_count", "initialize", "distribution", "set_distribution")


def namespace(backend, package: str) -> dict:
    """The entries of `fs.distribution` for `backend`: the classes bound to it, the functions with it bound."""
    import functools

    module = f"{package}.distribution"
    out = {}
    for cls in (DeviceMesh, TensorLayout, Distribution, DataParallel, ModelParallel, LayoutMap):
        out[cls.__name__] = type(cls.__name__, (cls,), {"backend": backend, "__module__": module,
                                                        "__qualname__": cls.__name__, "__doc__": cls.__doc__})
    for fn in (list_devices, get_device_count, initialize, distribution, set_distribution):
        bound = functools.partial(fn, backend)
        functools.update_wrapper(bound, fn)
        bound.__module__ = module
        out[fn.__name__] = bound
    return out

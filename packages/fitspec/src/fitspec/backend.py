"""`Backend`: what a backend package supplies to the core, and nothing more.

A backend gives its Ops namespace (fitspec.ops_protocol, with its floatx: fitspec.floatx), its
Variable storage, the base class its layers share, the trainer mixin of its family (stateless:
numpy, JAX; stateful: TensorFlow, torch), what it adds to the core's namespace, and how it runs an
execution (`compile`) and brings logs to the host (`fetch_logs`). Settings live on the backend
object and its ops, never in a process-wide switch: two backends can be used in one process.
"""

from __future__ import annotations

import numpy as np
import optree

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.variables import Variable


class Backend:
    name: str = "abstract"
    #: the Ops namespace (a module); its `floatx` (a fitspec.floatx.Floatx) holds the backend's default float dtype
    ops = None
    #: the Variable subclass that implements the storage hooks; `self.Variable` is it bound to this backend
    variable_class: type = Variable
    layer_class: type = Layer
    trainer_class: type = object
    #: maps the optimizers' updates, written once over lists of variables, to this backend's kernels: a subclass of
    #: `fitspec.optimizers.leaves.Group` (that class itself, variable by variable with `ops`, by default)
    optimizer_group: type | None = None
    #: `mean_of_all(values) -> tensor | None`: sum(values) / size computed by one kernel where this backend has one
    #: that gives exactly that for these values, else None (a loss's mean reduction then takes it)
    mean_of_all = None
    #: the arithmetic of a Mean metric's state mapped to this backend's kernels: a subclass of
    #: `fitspec.metrics.MeanState` (that class itself, through Variables and `ops`, by default)
    mean_state: type | None = None
    #: `random_module(api) -> module`: the backend's `fs.random`, filled by `fitspec.random.bind` from the
    #: backend's `RandomPrimitives` (its key handling and draws)
    random_module = None
    #: what the backend adds to or replaces in the core's namespace: {module: {name: class or function}}, e.g.
    #: {"layers": {"TorchModuleWrapper": TorchModuleWrapper}}; module is a dotted path below the package
    #: ("optimizers.schedules"). A class is bound as the core's classes of that module are (fitspec.binding).
    namespace: dict = {}
    #: the `fs.distribution` classes this backend runs (fitspec.distribution; SPEC 13.1); none: one device only
    distributions: tuple = ()

    def __init__(self):
        package = type(self).__module__.split(".", 1)[0]
        self.Variable = type("Variable", (self.variable_class,), {"backend": self, "__module__": package})
        self.api = None  # set by fitspec.binding.bind
        #: the current `fs.distribution` (`set_distribution`), and the process group this process joined
        #: (`fs.distribution.initialize`: a fitspec.distribution.ProcessEnvironment), both this backend's only
        self.distribution = None
        self.process_environment = None
        #: progress bars write to stdout (True) or to the `fitspec` logger (fs.config.disable_interactive_logging)
        self.interactive_logging = True

    # -- floatx ---------------------------------------------------------------------------------
    @property
    def default_floatx(self) -> str:
        return self.ops.floatx.default

    def floatx(self) -> str:
        return self.ops.floatx()

    def set_floatx(self, dtype: str) -> None:
        self.ops.floatx.set(dtype, where=f"{self.name}.config.set_floatx")

    def epsilon(self) -> float:
        """The fuzz factor every ε default of this backend's formulas reads (Keras's `config.epsilon()`)."""
        return self.ops.floatx.epsilon

    def set_epsilon(self, value) -> None:
        self.ops.floatx.set_epsilon(value, where=f"{self.name}.config.set_epsilon")

    # -- interactive logging (Keras's names) --------------------------------------------------------
    def enable_interactive_logging(self) -> None:
        self.interactive_logging = True

    def disable_interactive_logging(self) -> None:
        self.interactive_logging = False

    def is_interactive_logging_enabled(self) -> bool:
        return self.interactive_logging

    # -- data -----------------------------------------------------------------------------------
    def convert_batch(self, model, batch):
        """numpy batch -> tensors; floating arrays are cast to floatx."""

        def convert(leaf):
            array = np.asarray(leaf)
            dtype = self.floatx() if array.dtype.kind == "f" else None
            return self.ops.convert_to_tensor(array, dtype=dtype)

        return optree.tree_map(convert, batch)

    # -- stateless family (numpy, JAX) ------------------------------------------------------------
    def value_and_grad(self, fn, argnums=0, has_aux=False):
        raise NotImplementedError(f"backend {self.name} has no value_and_grad")

    # -- devices ------------------------------------------------------------------------------------
    def available_devices(self) -> list[str]:
        """Device kinds this backend can run on here: a subset of ("cpu", "gpu")."""
        return ["cpu"]

    def use_device(self, kind: str) -> None:
        """Run on `kind` from now on (GPU runs with TF32 off); raise if it is absent."""
        if kind not in self.available_devices():
            raise invalid_argument(f"{self.name}.use_device", "kind", f"one of {self.available_devices()}", kind)

    # -- distribution (fitspec.distribution) ---------------------------------------------------------
    def list_devices(self, device_type=None) -> list[str]:
        """The devices a distribution can use, "kind:index", of `device_type` (default: this backend's default)."""
        return ["cpu:0"]

    def backend_mesh(self, device_mesh):
        """The framework's mesh for a fitspec.distribution.DeviceMesh (JAX: jax.sharding.Mesh)."""
        return None

    def join_processes(self, environment) -> None:
        """Join the process group of `environment` (a fitspec.distribution.ProcessEnvironment of several processes)."""
        raise NotImplementedError(f"distribution.initialize: backend '{self.name}' runs in one process; received "
                                  f"{environment.world_size} processes (WORLD_SIZE) (SPEC 13.2).")

    def replica_group(self):
        """The replicas of a data-parallel run that are processes of their own (fitspec.replicas.ReplicaGroup), or
        None where this backend runs the current distribution inside one process (or there is none)."""
        return None

    #: `compile_results(result) -> callable`: `result(values)`, a metric's `stateless_result`
    #: (fitspec.execution.results), compiled into one program whose output `fetch_logs` brings to the host as
    #: {"result": value}; None where results computed op by op cost no compilation (the default)
    compile_results = None

    # -- executions (fitspec.execution) ---------------------------------------------------------------
    def compile(self, kind, run_one, run_many, model):
        """How this backend runs one execution of `kind` steps (fitspec.execution.StepKind).

        Stateless family: `run_one(state, batch) -> (outputs, state)`, `run_many(state, batches)`; stateful family:
        `run_one(batch) -> outputs`, `run_many(batches)`. Return a callable with `run_many`'s signature and
        result: `run_many` itself (the plain Python loop, by default), or a compiled form of it (jax.jit with
        `lax.scan` over `run_one`, a tf.function with an in-graph loop, torch.compile).
        """
        return run_many

    def fetch_logs(self, logs):
        """A step's logs (a dict of scalar tensors, as the step returned them) on the host, in one transfer
        where the framework allows: the same structure with numpy or Python scalars."""
        return optree.tree_map(self.ops.convert_to_numpy, logs)

    def is_traced(self, value) -> bool:
        """Whether `value` is a placeholder of a compiled program (a jax tracer) rather than a concrete array."""
        return False

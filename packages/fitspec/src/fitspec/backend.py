"""`Backend`: what a backend package supplies to the core, and nothing more.

A backend gives its Ops namespace (fitspec.ops_protocol), its Variable class, the base class its
layers share, the trainer mixin that owns its step functions, and its floatx. Settings live on the
backend object, never in a process-wide switch: two backends can be used in one process.
"""

from __future__ import annotations

import numpy as np
import optree

from fitspec import executors
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


class Backend:
    name: str = "abstract"
    default_floatx: str = "float32"
    ops = None
    Variable = None
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

    def __init__(self):
        self._floatx = self.default_floatx
        self.api = None  # set by fitspec.binding.bind

    # -- floatx ---------------------------------------------------------------------------------
    def floatx(self) -> str:
        return self._floatx

    def set_floatx(self, dtype: str) -> None:
        if dtype not in FLOAT_DTYPES:
            raise invalid_argument(f"{self.name}.config.set_floatx", "dtype", f"one of {FLOAT_DTYPES}", dtype)
        self._floatx = dtype

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

    # -- stateful family (TensorFlow, PyTorch) --------------------------------------------------------
    def compile_step(self, model, execution, step: str):
        """Compile one execution `f(batches) -> outputs` (tf.function, torch.compile); unchanged by default."""
        return execution

    def make_executor(self, model, step_fn, step: str):
        """`execute(state, batches) -> (outputs, state)`; the plain Python loop by default."""
        return executors.python_loop(step_fn, step, model)

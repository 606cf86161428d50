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
from fitspec_jax import ops as jax_ops
from fitspec_jax.executor import STATE_ADVICE, JitExecutor


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


class JaxBackend(fitspec.Backend):
    name = "jax"
    ops = jax_ops
    variable_class = JaxVariable
    trainer_class = fitspec.StatelessTrainer

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

        def convert(leaf):
            array = np.asarray(leaf)
            return array.astype(floatx if array.dtype.kind == "f" else jax_ops.canonical_dtype(array.dtype), copy=False)

        return optree.tree_map(convert, batch, none_is_leaf=False)

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

    # -- fs.random ------------------------------------------------------------------------------------
    def random_module(self, api):
        from fitspec_jax import random

        return random.bind(api)

    # -- executions -----------------------------------------------------------------------------------
    def make_executor(self, model, step_fn, step: str):
        return JitExecutor(model, step_fn, step)

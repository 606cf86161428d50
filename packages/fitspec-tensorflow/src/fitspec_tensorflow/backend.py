"""The TensorFlow backend: float32 by default, tf.Variable storage, steps compiled with tf.function."""

from __future__ import annotations

import contextlib

import numpy as np
import optree
import tensorflow as tf

import fitspec
from fitspec_tensorflow import execution, replicas
from fitspec_tensorflow import ops as tf_ops
from fitspec_tensorflow import random as tf_random
from fitspec_tensorflow.trainer import TensorflowTrainer
from fitspec_tensorflow.variables import TensorflowVariable

DEVICE_NAMES = {"cpu": "/CPU:0", "gpu": "/GPU:0"}


class TensorflowBackend(fitspec.Backend):
    name = "tensorflow"
    ops = tf_ops
    variable_class = TensorflowVariable
    trainer_class = TensorflowTrainer
    random_module = staticmethod(tf_random.bind)
    #: DataParallel with tf.distribute: MirroredStrategy in one process, MultiWorkerMirroredStrategy across
    #: fitspec-launch processes (SPEC 13.7)
    distributions = ("DataParallel",)

    def __init__(self):
        super().__init__()
        self._device = None  # TensorFlow's own placement until use_device() is called
        self.process_strategy = None  # the MultiWorkerMirroredStrategy of `initialize()`

    # -- distribution -------------------------------------------------------------------------------
    def list_devices(self, device_type=None) -> list[str]:
        """One device per process of a multi-process run (`initialize`); else this process's logical devices."""
        kind = device_type or ("gpu" if tf.config.list_logical_devices("GPU") else "cpu")
        if self.process_environment is not None:
            return [f"{kind}:{rank}" for rank in range(self.process_environment.world_size)]
        return [f"{kind}:{i}" for i, _ in enumerate(tf.config.list_logical_devices(kind.upper()))]

    def join_processes(self, environment) -> None:
        replicas.join(self, environment)

    def strategy(self):
        """The tf.distribute strategy of the current distribution, or None (none, or one device)."""
        return replicas.strategy_of(self, self.distribution)

    def replica_group(self):
        return replicas.replica_group(self)

    # -- data -------------------------------------------------------------------------------------
    def convert_batch(self, model, batch):
        """numpy or tf batch -> tensors on the selected device; floating leaves are cast to floatx.

        Per step, so kept cheap: exact type checks before `tf.is_tensor` (slow on numpy arrays), and
        `tf.constant` (faster than `tf.convert_to_tensor`) for arrays.
        """
        floatx = self.floatx()

        def convert(leaf):
            if isinstance(leaf, tf.Tensor):
                return tf.cast(leaf, floatx) if leaf.dtype.is_floating and leaf.dtype.name != floatx else leaf
            array = leaf if isinstance(leaf, np.ndarray) else np.asarray(leaf)
            if array.dtype.kind == "f" and array.dtype.name != floatx:
                array = array.astype(floatx)
            return tf.constant(array)

        if self._device is None:
            return optree.tree_map(convert, batch)
        with tf.device(self._device):
            return optree.tree_map(convert, batch)

    # -- devices ------------------------------------------------------------------------------------
    def available_devices(self) -> list[str]:
        return ["cpu", "gpu"] if tf.config.list_physical_devices("GPU") else ["cpu"]

    def use_device(self, kind: str) -> None:
        """Place variables and compiled steps on `kind` from now on; on GPU, TF32 is turned off."""
        super().use_device(kind)
        if kind == "gpu":
            tf.config.experimental.enable_tensor_float_32_execution(False)
        self._device = DEVICE_NAMES[kind]

    def device_scope(self):
        return tf.device(self._device) if self._device else contextlib.nullcontext()

    # -- executions -----------------------------------------------------------------------------------
    def compile(self, kind, run_one, run_many, model):
        """A tf.function of one execution (XLA with jit_compile=True); eager with run_eagerly=True."""
        return execution.compile_execution(self, kind, run_one, run_many, model)

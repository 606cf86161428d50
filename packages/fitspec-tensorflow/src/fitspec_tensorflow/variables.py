"""`TensorflowVariable`: a fitspec Variable stored in a `tf.Variable`, visible to `tf.GradientTape`.

Reads return a snapshot tensor (`tf.Variable.value()`), so a trainable variable read inside a tape
is watched as usual. Two hooks let TensorFlow take the fitspec Variable itself where it expects a
variable: a tensor conversion function (`tf.matmul(x, layer.kernel)`), and the resource-variable
marker with `handle`, which is what `tape.gradient(loss, model.trainable_variables)` differentiates
with respect to. Nothing else of TensorFlow's variable machinery is imitated.
"""

from __future__ import annotations

import re

import numpy as np
import tensorflow as tf

import fitspec
from fitspec_tensorflow import replicas


class TensorflowVariable(fitspec.Variable):
    # `tape.gradient` maps every source that declares this attribute to its `.handle`
    # (tensorflow/python/eager/backprop.py, `_handle_or_self`), as it does for tf.Variable.
    _should_act_as_resource_variable = True

    def _make_storage(self, array: np.ndarray):
        # init_scope: a variable first needed inside a tf.function (an optimizer built by its first
        # `apply` in a hand-written @tf.function step) is created once, eagerly, not in the graph.
        # synchronization "none" (Keras: not synchronised): this process's own, as fs.random's process-wide state
        strategy = self.backend.strategy() if self.synchronization != "none" else None
        if strategy is None:
            with tf.init_scope(), self.backend.device_scope():
                return tf.Variable(array, trainable=self.trainable, name=_tf_name(self.name))
        # under DataParallel: the strategy's variable, a copy per replica (fitspec_tensorflow.replicas)
        with tf.init_scope(), strategy.scope():
            variable = tf.Variable(array, trainable=self.trainable, name=_tf_name(self.name),
                                   **replicas.variable_options(self))
            if self.synchronization == "on_read" and array.any():
                variable.assign(array)  # a sum over the replicas' copies reads the initial value once, not R times
            return variable

    def _read(self):
        return self._storage.value()

    def _write(self, value) -> None:
        self._storage.assign(value, read_value=False)

    def _to_numpy(self) -> np.ndarray:
        return self._storage.numpy()

    @property
    def handle(self):
        """The resource handle of the underlying tf.Variable (what gradients are taken with respect to)."""
        return self._storage.handle

    @property
    def tf_variable(self) -> tf.Variable:
        return self._storage


def _tf_name(name: str) -> str:
    """tf.Variable names are op names: keep letters, digits, `_`, `.` and `-`."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "variable"


def _convert_variable(variable, dtype=None, name=None, as_ref=False):
    # Like tf.Variable: a request for another dtype fails (and TF retries without a preferred dtype).
    return tf.convert_to_tensor(variable.value, dtype=dtype, name=name)


tf.register_tensor_conversion_function(TensorflowVariable, _convert_variable)

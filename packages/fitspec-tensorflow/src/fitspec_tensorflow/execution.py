"""One execution (the `steps_per_execution` batches the core hands over) compiled into one tf.function.

Batches of one signature are stacked and stepped through by a `tf.while_loop` inside the graph:
the first step is traced before the loop, which fixes the structure of the logs the loop carries
(and of the predictions it collects). A group of mixed shapes (an epoch's last, partial batch) runs
the core's plain loop (`run_many`), unrolled in the same tf.function. tf.function traces once per
signature: one trace for full groups, one for the epoch's last group, none per epoch.
"""

from __future__ import annotations

import optree
import tensorflow as tf

from fitspec_tensorflow import replicas


def resolve_jit_compile(backend, model) -> bool:
    """`jit_compile="auto"` means XLA on a GPU and plain graphs on the CPU, as in Keras 3."""
    jit_compile = getattr(model, "jit_compile", "auto")
    if jit_compile == "auto":
        on_cpu = backend._device == "/CPU:0" or not tf.config.list_physical_devices("GPU")
        return not on_cpu
    return bool(jit_compile)


def compile_execution(backend, kind, run_one, run_many, model):
    """The execution compiled (or eager with run_eagerly=True), on the selected device.

    Under DataParallel a train or test execution is `strategy.run` of the plain loop (the replicas' all-reduces
    are merge calls, which a tf.while_loop cannot hold), on plain graphs; predict runs on one device."""
    strategy = None if kind.collects_outputs else backend.strategy()
    if strategy is not None:
        replicas.check_variables(model, strategy)
        execution_fn = replicas.distributed_execution(backend, strategy, kind, run_many)
        if model.run_eagerly:
            return EagerExecution(backend, execution_fn)
        return CompiledExecution(backend, execution_fn, jit_compile=False)
    if model.run_eagerly:
        return EagerExecution(backend, run_many)
    return CompiledExecution(backend, fused_execution(kind, run_one, run_many),
                             jit_compile=resolve_jit_compile(backend, model))


class EagerExecution:
    def __init__(self, backend, execution_fn):
        self.backend, self.execution_fn = backend, execution_fn

    def __call__(self, batches):
        with self.backend.device_scope():
            return self.execution_fn(batches)

    def tracing_count(self) -> int:
        return 0


class CompiledExecution:
    """One tf.function per structure of the batches, called with the flat list of their tensors.

    Flat positional tensors are cheaper for tf.function to match against its traces than a nested
    list of tuples (tens of microseconds a call); the structure is the key of a Python dict.
    """

    def __init__(self, backend, execution_fn, jit_compile: bool):
        self.backend, self.execution_fn, self.jit_compile = backend, execution_fn, jit_compile
        self._functions = {}
        self._concrete = {}  # (structure, dtype and shape of each tensor) -> its concrete function

    def _function_for(self, treedef):
        function = self._functions.get(treedef)
        if function is None:

            def flat_execution(*leaves):
                return self.execution_fn(optree.tree_unflatten(treedef, leaves))

            # autograph=False, as Keras 3 does: a train_step is traced as written (tf.cond for tensor conditions).
            function = tf.function(flat_execution, jit_compile=self.jit_compile, autograph=False)
            self._functions[treedef] = function
        return function

    def __call__(self, batches):
        leaves, treedef = optree.tree_flatten(batches)
        # The concrete function of this batch signature, cached: calling the tf.function itself matches and
        # hashes its arguments on every call (about 90 µs a step on CPU).
        key = (treedef, *((leaf.dtype, *leaf.shape) for leaf in leaves))
        with self.backend.device_scope():
            concrete = self._concrete.get(key)
            if concrete is None:
                concrete = self._concrete[key] = self._function_for(treedef).get_concrete_function(*leaves)
            return concrete(*leaves)

    def tracing_count(self) -> int:
        return sum(f.experimental_get_tracing_count() for f in self._functions.values())

    def concrete_function(self, batches):
        leaves, treedef = optree.tree_flatten(batches)
        return self._function_for(treedef).get_concrete_function(*leaves)


def fused_execution(kind, run_one, run_many):
    """`execution(batches)`, stepping through same-shaped batches with an in-graph loop."""

    def execution(batches):
        if len(batches) == 1 or not _same_signature(batches):
            return run_many(batches)
        stacked = optree.tree_map(lambda *leaves: tf.stack(leaves), *batches)
        loop = _predict_loop if kind.collects_outputs else _step_loop
        return loop(run_one, batches[0], stacked, len(batches))

    return execution


def _same_signature(batches) -> bool:
    first_leaves, first_def = optree.tree_flatten(batches[0])
    for batch in batches[1:]:
        leaves, treedef = optree.tree_flatten(batch)
        if treedef != first_def:
            return False
        for a, b in zip(first_leaves, leaves):
            if a.dtype != b.dtype or a.shape != b.shape:
                return False
    return True


def _batch(stacked, i):
    return optree.tree_map(lambda s: s[i], stacked)


def _step_loop(step_fn, first_batch, stacked, n: int):
    """The logs of the last of n steps; steps 2..n run in a while loop, one iteration at a time."""
    logs = step_fn(first_batch)

    def body(i, _):
        return i + 1, step_fn(_batch(stacked, i))

    # parallel_iterations=1: iteration i + 1 reads the variables iteration i writes.
    _, logs = tf.while_loop(lambda i, _: i < n, body, (tf.constant(1), logs), parallel_iterations=1)
    return logs


def _predict_loop(step_fn, first_batch, stacked, n: int):
    """Every step's outputs, as a list of n structures."""
    first = step_fn(first_batch)
    leaves, treedef = optree.tree_flatten(first)
    arrays = [tf.TensorArray(leaf.dtype, size=n - 1, element_shape=leaf.shape) for leaf in leaves]

    def body(i, arrays):
        outputs = optree.tree_leaves(step_fn(_batch(stacked, i)))
        return i + 1, [array.write(i - 1, leaf) for array, leaf in zip(arrays, outputs)]

    _, arrays = tf.while_loop(lambda i, _: i < n, body, (tf.constant(1), arrays), parallel_iterations=1)
    rest = [tf.unstack(array.stack(), num=n - 1) for array in arrays]
    return [first] + [optree.tree_unflatten(treedef, [column[k] for column in rest]) for k in range(n - 1)]

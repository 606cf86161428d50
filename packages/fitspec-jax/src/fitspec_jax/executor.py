"""How fitspec_jax runs an execution (the steps of a list of batches): one jitted program.

Division of labour: the core (fitspec.execution.stateless) reads the state from the Variables,
checks and conforms what a step returns and writes the new state back; this module compiles its
`run_one`. Consecutive batches of equal shapes are stacked on the host, moved to the device in one
transfer and run by `lax.scan`; a last, smaller batch is a segment of its own. jax.jit caches one
program per layout of segments (e.g. 8 full batches; 7 full + 1 partial), so epochs after the first
compile nothing. On the CPU a step with a convolution runs its batches one jitted step after
another instead: XLA:CPU leaves a convolution inside a loop body without the rewrite it gets at the
top level, which made 8 steps of a small convnet under `lax.scan` 1.7x slower than 8 separate calls
(jax-ml/jax#12868); the logs still come back once per execution.
The state is donated, so the old and new state never both occupy device memory. Logs stay on the
device as one vector (`PackedLogs`) until the core asks for them (`JaxBackend.fetch_logs`).
Under `fs.distribution.DataParallel` the state is replicated over the mesh and each batch sharded on
its batch axis (`DataPlacement`); the jitted step is the one-device program, which XLA partitions,
inserting the all-reduces, so it computes what one device computes (SPEC 13.3).
"""

from __future__ import annotations

import math
import operator

import jax
import numpy as np
import optree
from jax.sharding import NamedSharding, PartitionSpec


@jax.tree_util.register_pytree_node_class
class PackedLogs:
    """A step's logs of one dtype as one device vector (one transfer to the host), with their structure.

    `shapes` is None when every value is a scalar (the usual case); otherwise each value's shape, the vector
    holding the values raveled one after another (a metric whose result is a vector, docs/SPEC.md 6.10).
    A pytree whose structure is static: a jitted step returns it as it is.
    """

    __slots__ = ("shapes", "treedef", "vector")

    def __init__(self, vector, treedef, shapes=None):
        self.vector, self.treedef, self.shapes = vector, treedef, shapes

    def tree_flatten(self):
        return (self.vector,), (self.treedef, self.shapes)

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(children[0], *aux)

    def fetch(self):
        host = np.asarray(self.vector)
        if self.shapes is None:
            return optree.tree_unflatten(self.treedef, host.tolist())
        values, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            part = host[start:start + size]
            values.append(part.reshape(shape) if shape else float(part[0]))
            start += size
        return optree.tree_unflatten(self.treedef, values)


def pack_logs(logs):
    """Traced: logs of one dtype (the usual case: scalars, or vectors besides them) as `PackedLogs`, so they reach
    the host in one transfer (jax.device_get of a dict costs a transfer per entry); any other logs as they are."""
    leaves, treedef = optree.tree_flatten(logs)
    leaves = [jax.numpy.asarray(leaf) for leaf in leaves]
    if not leaves or any(leaf.dtype != leaves[0].dtype for leaf in leaves):
        return logs
    if all(leaf.ndim == 0 for leaf in leaves):
        return PackedLogs(jax.numpy.stack(leaves), treedef)
    shapes = tuple(tuple(leaf.shape) for leaf in leaves)
    return PackedLogs(jax.numpy.concatenate([leaf.reshape(-1) for leaf in leaves]), treedef, shapes)


class JitExecution:
    """`run(state, batches) -> (outputs, state)`: `run_one` jitted, scanned over stacked batches (module docs)."""

    def __init__(self, kind, run_one, run_many, model):
        self.kind, self.model = kind, model
        self._run_one_step, self._run_many = run_one, run_many
        self._jitted = jax.jit(self._run_segments, donate_argnums=0)
        self._jitted_one = jax.jit(self._run_one, donate_argnums=0)  # steps_per_execution=1: no stacking
        self._scan_is_slow = None  # decided at the first execution of several batches (`_scan_is_slow_for`)
        self._returned = ()  # the state the last execution returned: its buffers are distinct
        self._placement = None  # the DataPlacement of the execution being run (read while tracing)

    @property
    def eager(self) -> bool:
        """`run_eagerly=True` or `jit_compile=False` on the model: every op runs as it is called."""
        return bool(self.model.run_eagerly) or self.model.jit_compile is False

    def __call__(self, state, batches):
        if self.eager:
            return self._run_many(state, [jax.device_put(batch) for batch in batches])
        if len(state) != len(self._returned) or any(map(operator.is_not, state, self._returned)):
            state = _distinct_buffers(state)  # some Variable was assigned since the last execution
        placement = self._placement = DataPlacement.of(self.model.backend.distribution)
        if placement is not None:
            state = placement.replicate(state)
        collects = self.kind.collects_outputs
        whole = collects and jax.process_count() > 1
        if len(batches) == 1:
            batch = batches[0] if placement is None else placement.shard(batches[0], stacked=False, whole=whole)
            outputs, state = self._jitted_one(state, batch)
            self._returned = state
            return ([jax.device_get(outputs)] if collects else outputs), state
        if self._scan_is_slow_for(state, batches[0]):
            outputs = []
            for batch in batches:
                out, state = self._jitted_one(state, batch if placement is None
                                              else placement.shard(batch, False, whole))
                outputs.append(out)
            self._returned = state
            return (jax.device_get(outputs) if collects else outputs[-1]), state
        # numpy segments: the jitted call moves them to the device, one transfer per execution
        segments = tuple(_stack_segments(batches))
        if placement is not None:
            segments = tuple(placement.shard(segment, stacked=True, whole=whole) for segment in segments)
        outputs, state = self._jitted(state, segments)
        self._returned = state
        if not collects:
            return outputs, state
        return [y for segment in jax.device_get(outputs) for y in _unstack(segment)], state

    def _scan_is_slow_for(self, state, batch) -> bool:
        """Whether the step convolves on the CPU, where a convolution under `lax.scan` runs slower (module docs)."""
        if self._scan_is_slow is None:
            # where the state lives, not jax.default_backend(): `use_device("cpu")` on a GPU machine runs on the CPU
            on_cpu = all(device.platform == "cpu" for leaf in optree.tree_leaves(state)
                         if isinstance(leaf, jax.Array) for device in leaf.devices())
            self._scan_is_slow = on_cpu and "conv_general_dilated" in str(self._jitted_one.trace(state, batch).jaxpr)
        return self._scan_is_slow

    # -- compiled ------------------------------------------------------------------------------------
    def _run_one(self, state, batch):
        """Traced by jax.jit: the step of one batch."""
        outputs, state = self._run_one_step(state, batch)
        return (outputs if self.kind.collects_outputs else pack_logs(outputs)), self._constrained(state)

    def _constrained(self, state):
        """Traced: the new state replicated over the mesh of a DataParallel run, as the state came in."""
        return state if self._placement is None else self._placement.constrain(state)

    def _run_segments(self, state, segments):
        """Traced by jax.jit: each segment is a stack of batches of one shape, run by `lax.scan`."""
        collects = self.kind.collects_outputs
        outputs = []
        for segment in segments:
            count = optree.tree_leaves(segment)[0].shape[0]
            if count == 1:
                out, state = self._run_one_step(state, optree.tree_map(lambda a: a[0], segment))
                out = optree.tree_map(lambda a: a[None], out) if collects else out
            else:

                def body(carry, batch):
                    out, carry = self._run_one_step(carry, batch)
                    return carry, out

                state, out = jax.lax.scan(body, state, segment)
                if not collects:
                    out = optree.tree_map(lambda a: a[-1], out)
            outputs.append(out)
        if collects:
            return tuple(outputs), self._constrained(state)
        return pack_logs(outputs[-1]), self._constrained(state)


class DataPlacement:
    """Where a DataParallel execution's values live: the state replicated over the mesh, each batch sharded on
    its batch axis (the second axis of a stack of batches). A batch whose rows the mesh's axis does not divide
    (a last, partial batch) is replicated: every device computes all of it, with the same numbers."""

    def __init__(self, distribution):
        self.mesh = distribution.device_mesh.backend_mesh
        self.axis = distribution.batch_dim_name
        self.replicas = self.mesh.shape[self.axis]
        self.replicated = NamedSharding(self.mesh, PartitionSpec())
        self._sharded = {False: NamedSharding(self.mesh, PartitionSpec(self.axis)),
                         True: NamedSharding(self.mesh, PartitionSpec(None, self.axis))}

    @classmethod
    def of(cls, distribution):
        """The placement of `distribution` (its own, made once), or None without one or on a mesh of one device."""
        if distribution is None or distribution.device_mesh.devices.size == 1:
            return None
        placement = getattr(distribution, "_jax_placement", None)
        if placement is None:
            placement = distribution._jax_placement = cls(distribution)
        return placement

    def replicate(self, state: list) -> list:
        if all(getattr(v, "sharding", None) == self.replicated for v in state):
            return state
        return [v if getattr(v, "sharding", None) == self.replicated else _put(v, self.replicated) for v in state]

    def shard(self, batch, stacked: bool, whole: bool = False):
        """The batch sharded on its batch axis; replicated where the mesh does not divide its rows, or `whole`
        (predictions of a multi-process run: every process predicts everything)."""
        axis = 1 if stacked else 0

        def place(leaf):
            rows = np.shape(leaf)[axis] if np.ndim(leaf) > axis else 0
            split = rows and rows % self.replicas == 0 and not whole
            return _put(leaf, self._sharded[stacked] if split else self.replicated)

        return optree.tree_map(place, batch)

    def constrain(self, state):
        return jax.lax.with_sharding_constraint(state, self.replicated)


def _put(value, sharding):
    """`value` placed by `sharding`; in a multi-process run (jax.distributed) a global array of which this process
    holds its devices' pieces, every process passing the same value."""
    if jax.process_count() == 1:
        return jax.device_put(value, sharding)
    host = np.asarray(value)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def _signature(batch):
    leaves, treedef = optree.tree_flatten(batch)
    return treedef, tuple((np.shape(a), np.asarray(a).dtype) for a in leaves)


def _stack_segments(batches):
    """Runs of consecutive batches with one signature, each stacked along a new leading axis (on the host)."""
    runs, signature = [], None
    for batch in batches:
        this = _signature(batch)
        if runs and this == signature:
            runs[-1].append(batch)
        else:
            runs.append([batch])
            signature = this
    for run in runs:
        if len(run) == 1:
            yield optree.tree_map(lambda a: np.asarray(a)[None], run[0])
        else:
            yield optree.tree_map(lambda *parts: np.stack(parts), *run)


def _unstack(stacked):
    count = optree.tree_leaves(stacked)[0].shape[0]
    return [optree.tree_map(lambda a, i=i: a[i], stacked) for i in range(count)]


def _distinct_buffers(state: list) -> list:
    """Donation rejects a buffer passed twice (two Variables assigned one array): copy the repeats."""
    if len({id(v) for v in state}) == len(state):
        return state
    seen = set()

    def distinct(value):
        if id(value) in seen:
            return jax.numpy.array(value, copy=True)
        seen.add(id(value))
        return value

    return [distinct(v) for v in state]

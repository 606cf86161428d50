"""The JAX executor: one execution (the steps of a list of batches) as one jitted program.

Division of labour: the core (fitspec.stateless_trainer) reads the state from the Variables,
checks what a step returns and writes the new state back; this module runs the steps. Consecutive
batches of equal shapes are stacked on the host, moved to the device in one transfer and run by
`lax.scan`; a last, smaller batch is a segment of its own. jax.jit caches one program per layout
of segments (e.g. 8 full batches; 7 full + 1 partial), so epochs after the first compile nothing.
On the CPU a step with a convolution runs its batches one jitted step after another instead:
XLA:CPU leaves a convolution inside a loop body without the rewrite it gets at the top level, which
made 8 steps of a small convnet under `lax.scan` 1.7x slower than 8 separate calls
(jax-ml/jax#12868); the logs still come back once per execution.
The state is donated, so the old and new state never both occupy device memory. Logs come back to
the host once per execution, as `DeferredOutputs`: the core writes the new state back while the
device still computes, then fetches them.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
import optree

from fitspec.errors import describe
from fitspec.executors import DeferredOutputs, StepScope
from fitspec.stateless_trainer import executor_parts

STATE_ADVICE = (
    "Inside a compiled step, change state through the state the step returns: `stateless_call`, "
    "`optimizer.stateless_apply`, `metric.stateless_update_state`; random draws need `seed=` a "
    "`fs.random.SeedGenerator` owned by a layer or the model; an optimizer other than `model.optimizer` "
    "must be built (`optimizer.build(variables)`) before fit()."
)


class JitExecutor:
    """`execute(state, batches) -> (outputs, state)`, the contract of `Backend.make_executor`.

    Each step runs inside a `StatelessScope` that maps the state's Variables to the step's values:
    a Variable read outside `stateless_call` sees the traced value, and a Variable assigned
    outside it (a SeedGenerator advanced in `train_step`, an optimizer other than `model.optimizer`)
    keeps the new value when the step returns that entry of the state unchanged.
    """

    #: the new state comes back cast to each Variable's dtype, shapes checked: written back as is
    conforms_state = True

    def __init__(self, model, step_fn, step: str):
        self.model = model
        self.step_fn = step_fn
        self.step = step
        self._jitted = jax.jit(self._run_segments, donate_argnums=0)
        self._jitted_one = jax.jit(self._run_one, donate_argnums=0)  # steps_per_execution=1: no stacking
        self._logs_treedef = None  # the structure of packed logs (`_pack_logs`), set when first traced
        self._scan_is_slow = None  # decided at the first execution of several batches (`_scan_is_slow_for`)

    @property
    def eager(self) -> bool:
        """`run_eagerly=True` or `jit_compile=False` on the model: every op runs as it is called."""
        return bool(getattr(self.model, "run_eagerly", False)) or getattr(self.model, "jit_compile", "auto") is False

    def __call__(self, state, batches):
        if self.eager:
            return self._run_eagerly(state, batches)
        state = _distinct_buffers(state)
        if len(batches) == 1:
            outputs, state = self._jitted_one(state, batches[0])
        elif self._scan_is_slow_for(state, batches[0]):
            outputs = []
            for batch in batches:
                out, state = self._jitted_one(state, batch)
                outputs.append(out)
            if self.step != "predict_step":
                return self._deferred_logs(outputs[-1]), state
            return jax.device_get(outputs), state
        else:
            # numpy segments: the jitted call moves them to the device, one transfer per execution
            outputs, state = self._jitted(state, tuple(_stack_segments(batches)))
        if self.step != "predict_step":
            return self._deferred_logs(outputs), state
        outputs = jax.device_get(outputs)
        if len(batches) == 1:
            return [outputs], state
        return [y for segment in outputs for y in _unstack(segment)], state

    def _scan_is_slow_for(self, state, batch) -> bool:
        """Whether the step convolves on the CPU, where a convolution under `lax.scan` runs slower (module docs)."""
        if self._scan_is_slow is None:
            # where the state lives, not jax.default_backend(): `use_device("cpu")` on a GPU machine runs on the CPU
            on_cpu = all(device.platform == "cpu" for leaf in optree.tree_leaves(state)
                         if isinstance(leaf, jax.Array) for device in leaf.devices())
            self._scan_is_slow = on_cpu and "conv_general_dilated" in str(self._jitted_one.trace(state, batch).jaxpr)
        return self._scan_is_slow

    # -- logs: one vector, one transfer ----------------------------------------------------------------
    def _pack_logs(self, logs):
        """Traced: logs of scalars of one dtype (the usual case) as one vector, so they reach the host in one
        transfer (jax.device_get of a dict costs a transfer per entry); any other logs as they are."""
        leaves, treedef = optree.tree_flatten(logs)
        leaves = [jax.numpy.asarray(leaf) for leaf in leaves]
        if not leaves or any(leaf.ndim != 0 or leaf.dtype != leaves[0].dtype for leaf in leaves):
            return logs
        if self._logs_treedef is None:
            self._logs_treedef = treedef
        elif treedef != self._logs_treedef:  # a step whose logs change with the batch shape: left unpacked
            return logs
        return jax.numpy.stack(leaves)

    def _deferred_logs(self, logs) -> DeferredOutputs:
        """The logs, brought to the host after the core has written the new state back (`DeferredOutputs`)."""
        return DeferredOutputs(functools.partial(self._logs_to_host, logs))

    def _logs_to_host(self, logs):
        if isinstance(logs, jax.Array):  # packed by `_pack_logs`: Python floats, one transfer
            return optree.tree_unflatten(self._logs_treedef, np.asarray(logs).tolist())
        return jax.device_get(logs)

    # -- one step, with the state's Variables mapped to the state -------------------------------------
    def _scoped_step(self, state, batch):
        variables = self.model._state_variables(self.step)
        mapping = [(v, value) for group, values in zip(variables, state) for v, value in zip(group, values)]
        with StepScope(mapping) as scope:
            outputs, new_state = self.step_fn(state, batch)
        self._apply_stray_writes(scope)
        return outputs, self._conform(variables, state, new_state, scope)

    def _apply_stray_writes(self, scope) -> None:
        """Variables outside the step's state that the step assigned: kept when eager, refused when traced."""
        for variable in scope.stray:
            value = scope.get_current_value(variable)
            if isinstance(value, jax.core.Tracer):
                raise RuntimeError(
                    f"{type(self.model).__name__}.{self.step} assigned Variable '{variable.path}', which is not part "
                    f"of the step's state (it belongs to no layer, metric or optimizer of the model), inside the "
                    f"compiled step; the new value would be lost. {STATE_ADVICE}"
                )
            variable.assign(value)

    def _conform(self, variables, old_state, new_state, scope):
        """The new state with writes made outside the stateless API kept, each entry cast to its old dtype.

        The dtypes must not drift (a weakly typed or promoted value), or `lax.scan` would reject its
        carry and the next execution would compile again.
        """
        where = f"{type(self.model).__name__}.{self.step}"
        out = []
        for name, group, olds, news in zip(executor_parts(self.step), variables, old_state, new_state):
            part = []
            for i, (variable, old, new) in enumerate(zip(group, olds, news)):
                current = scope.get_current_value(variable)
                if new is old and current is not old:
                    new = current
                if not _is_array_like(new):
                    raise TypeError(
                        f"{where} returned state with `{name}[{i}]` of {describe(new)}; expected an array of shape "
                        f"{tuple(np.shape(old))} and dtype {old.dtype} (the value of '{variable.path}')."
                    )
                part.append(jax.lax.convert_element_type(new, old.dtype))
            out.append(part)
        return tuple(out)

    # -- compiled ------------------------------------------------------------------------------------
    def _run_one(self, state, batch):
        """Traced by jax.jit: the step of one batch."""
        outputs, state = self._scoped_step(state, batch)
        return (outputs if self.step == "predict_step" else self._pack_logs(outputs)), state

    def _run_segments(self, state, segments):
        """Traced by jax.jit: each segment is a stack of batches of one shape, run by `lax.scan`."""
        outputs = []
        for segment in segments:
            count = optree.tree_leaves(segment)[0].shape[0]
            if count == 1:
                out, state = self._scoped_step(state, optree.tree_map(lambda a: a[0], segment))
                out = optree.tree_map(lambda a: a[None], out) if self.step == "predict_step" else out
            else:

                def body(carry, batch):
                    out, carry = self._scoped_step(carry, batch)
                    return carry, out

                state, out = jax.lax.scan(body, state, segment)
                if self.step != "predict_step":
                    out = optree.tree_map(lambda a: a[-1], out)
            outputs.append(out)
        if self.step == "predict_step":
            return tuple(outputs), state
        return self._pack_logs(outputs[-1]), state

    # -- eager ---------------------------------------------------------------------------------------
    def _run_eagerly(self, state, batches):
        outputs = []
        for batch in batches:
            out, state = self._scoped_step(state, jax.device_put(batch))
            outputs.append(out)
        if self.step == "predict_step":
            return outputs, state
        return outputs[-1], state


def _signature(batch):
    leaves, treedef = optree.tree_flatten(batch)
    return treedef, tuple((np.shape(a), np.asarray(a).dtype) for a in leaves)


def _stack_segments(batches):
    """Runs of consecutive batches with one signature, each stacked along a new leading axis (on the host)."""
    if len(batches) == 1:
        yield optree.tree_map(lambda a: np.asarray(a)[None], batches[0])
        return
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


def _distinct_buffers(state):
    """Donation rejects a buffer passed twice (two Variables assigned one array): copy the repeats."""
    if len({id(v) for group in state for v in group}) == sum(len(group) for group in state):
        return state
    seen = set()

    def distinct(value):
        if id(value) in seen:
            return jax.numpy.array(value, copy=True)
        seen.add(id(value))
        return value

    return tuple([distinct(v) for v in group] for group in state)


def _is_array_like(value) -> bool:
    return isinstance(value, (jax.Array, np.ndarray, np.generic, int, float, bool))

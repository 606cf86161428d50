"""One stateless execution (numpy, JAX): the steps of a list of batches on values, written back to the Variables.

Division of labour: the trainer loop hands over a list of batches; `StatelessExecution` reads the
state from the Variables, has the backend run it (`Backend.compile`: a Python loop on numpy,
`jax.jit` + `lax.scan` on JAX) and writes the new state back. `run_one`, the step the backend
compiles, maps the state's Variables to the step's values in a `StepScope`, checks what the user's
step returned, keeps what the step assigned outside the stateless API, and casts every value to its
Variable's dtype, so the state never drifts in dtype between executions.

Besides the step's own state, an execution carries Variables the step may read and assign without
returning them: the optimizers the model holds besides `model.optimizer` (the GAN's two optimizers),
and the backend's process-wide seed state.
"""

from __future__ import annotations

import itertools

from fitspec import random
from fitspec.errors import describe
from fitspec.execution.step_kind import METRICS, NON_TRAINABLE, OPTIMIZER, TRAINABLE
from fitspec.variables import StatelessScope

STATE_ADVICE = (
    "Inside a compiled step, change state through the state the step returns: `stateless_call`, "
    "`optimizer.stateless_apply`, `metric.stateless_update_state`; random draws need `seed=` a "
    "`fs.random.SeedGenerator` owned by a layer or the model; an optimizer other than `model.optimizer` "
    "must be built (`optimizer.build(variables)`) before fit()."
)


class StepScope(StatelessScope):
    """The scope of one step: the state's Variables mapped to the step's values; notes writes to any other."""

    def __init__(self, mapping):
        super().__init__(mapping)
        self._mapped = {id(variable) for variable, _ in mapping}
        self.stray = []

    def record(self, variable, value) -> None:
        if id(variable) not in self._mapped and all(variable is not v for v in self.stray):
            self.stray.append(variable)
        super().record(variable, value)


def state_variables(model, kind) -> tuple[list, ...]:
    """The Variables of each part of `kind`'s state, then of the carried part (`carried_variables`)."""
    groups = {
        TRAINABLE: lambda: model.trainable_variables,
        NON_TRAINABLE: lambda: model.non_trainable_variables,
        OPTIMIZER: lambda: model.optimizer.variables,
        METRICS: lambda: model.metrics_variables,
    }
    return (*(groups[part]() for part in kind.state_parts), carried_variables(model, kind))


def carried_variables(model, kind) -> list:
    """Variables a step may assign besides its state: the other optimizers' (train steps), and in every step the
    backend's process-wide seed state (unseeded `fs.random` draws advance it, SPEC 8d)."""
    optimizers = other_optimizers(model) if kind.trains else []
    return [v for optimizer in optimizers for v in optimizer.variables] + random.process_seed_states(model.backend)


def other_optimizers(model) -> list:
    """Optimizers set as attributes of the model, besides `model.optimizer`, in the order they were set."""
    from fitspec.optimizers import Optimizer

    main = getattr(model, "optimizer", None)
    found = []
    for value in vars(model).values():
        if isinstance(value, Optimizer) and value is not main and all(value is not o for o in found):
            found.append(value)
    return found


class StatelessExecution:
    """`execution(batches) -> outputs`: the logs of the last step, or every step's outputs (`kind.collects_outputs`).

    The backend's compiled form takes and returns the whole state as one flat list, the values of `flat_variables`
    in order (the step's parts, then the carried Variables): `run(state, batches) -> (outputs, state)`.
    """

    def __init__(self, model, kind):
        self.model, self.kind = model, kind
        self.backend = model.backend
        self._step = getattr(model, kind.method)
        self._variables = None  # walked at the first execution: every Variable exists by then
        self._run = self.backend.compile(kind, self.run_one, self.run_many, model)

    def variables(self) -> tuple[list, ...]:
        """The Variables of each part of the state (`state_variables`), walked at the first execution."""
        if self._variables is None:
            self._variables = state_variables(self.model, self.kind)
            self._flat = [v for group in self._variables for v in group]
            ends = itertools.accumulate(len(group) for group in self._variables)
            self._slices = [slice(end - len(group), end) for end, group in zip(ends, self._variables)]
        return self._variables

    @property
    def flat_variables(self) -> list:
        self.variables()
        return self._flat

    def __call__(self, batches):
        flat, storage = self.flat_variables, self.backend.Variable
        convert, model = self.backend.convert_batch, self.model
        outputs, state = self._run(storage._read_values(flat), [convert(model, batch) for batch in batches])
        storage._write_values(flat, state)  # cast and shaped as each Variable by `run_one`
        return outputs

    # -- what the backend compiles ----------------------------------------------------------------
    def run_many(self, state, batches):
        """The steps of `batches` one after another: (last logs or every output, new state)."""
        outputs = []
        for batch in batches:
            out, state = self.run_one(state, batch)
            outputs.append(out)
        return (outputs if self.kind.collects_outputs else outputs[-1]), state

    def run_one(self, state, batch):
        """The user's step on one batch, with the state's Variables mapped to `state`: (outputs, new state)."""
        kind, variables = self.kind, self.variables()
        parts = [state[part] for part in self._slices]
        given = tuple(parts[: len(kind.state_parts)])
        with StepScope(list(zip(self._flat, state))) as scope:
            out = self._step(given, batch)
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError(f"{self._where()} must return (outputs, state); received {describe(out)}.")
        outputs, returned = out
        returned = self._checked(given, returned, variables)
        self._apply_stray_writes(scope)
        new_parts = dict(zip(kind.returned_parts, returned))
        names = (*kind.state_parts, "carried variables")
        new_state = []
        for name, group, old in zip(names, variables, parts):
            new_state.extend(self._conformed(group, old, new_parts.get(name, old), scope))
        return outputs, new_state

    # -- the rules of a step's state -----------------------------------------------------------------
    def _where(self) -> str:
        return f"{type(self.model).__name__}.{self.kind.method}"

    def _checked(self, given, returned, variables) -> tuple:
        """The returned parts, after checking their structure and shapes against the parts given to the step."""
        kind, ops = self.kind, self.backend.ops
        parts = kind.returned_parts
        if len(parts) > 1 and (not isinstance(returned, (tuple, list)) or len(returned) != len(parts)):
            raise TypeError(f"{self._where()} must return (logs, state) with state = ({', '.join(parts)}); "
                            f"received a state of {describe(returned)}.")
        returned = kind.returned(returned)
        olds = dict(zip(kind.state_parts, zip(given, variables)))
        for name, new in zip(parts, returned):
            old, group = olds[name]
            if not isinstance(new, (list, tuple)) or len(new) != len(old):
                count = len(new) if isinstance(new, (list, tuple)) else describe(new)
                raise ValueError(
                    f"{self._where()} returned state with `{name}` of {count} entries; expected {len(old)} "
                    f"(one per variable, in the order of `model.{name}` given to the step)."
                )
            for i, (o, n, variable) in enumerate(zip(old, new, group)):
                if not _is_array_like(n):
                    raise TypeError(f"{self._where()} returned state with `{name}[{i}]` of {describe(n)}; expected "
                                    f"an array of shape {tuple(ops.shape(o))} and dtype {ops.dtype(o)} (the value "
                                    f"of '{variable.path}').")
                old_shape, new_shape = tuple(ops.shape(o)), tuple(ops.shape(n))
                if old_shape != new_shape:
                    raise ValueError(f"{self._where()} returned state with `{name}[{i}]` of shape {new_shape}; "
                                     f"expected {old_shape}, the shape it had when passed in.")
        return returned

    def _apply_stray_writes(self, scope) -> None:
        """Variables outside the state that the step assigned: kept when eager, refused when traced (lost)."""
        for variable in scope.stray:
            value = scope.get_current_value(variable)
            if self.backend.is_traced(value):
                raise RuntimeError(
                    f"{self._where()} assigned Variable '{variable.path}', which is not part of the step's state "
                    "(it belongs to no layer, metric or optimizer of the model), inside the compiled step; the new "
                    f"value would be lost. {STATE_ADVICE}"
                )
            variable.assign(value)

    def _conformed(self, group, olds, news, scope) -> list:
        """Each new value, or what the step assigned to that Variable when it returned the entry unchanged,
        cast to the old value's dtype (no weak or promoted dtype: a JAX scan's carry must keep its type)."""
        ops = self.backend.ops
        out = []
        for variable, old, new in zip(group, olds, news):
            if new is old:
                new = scope.get_current_value(variable)
            out.append(ops.cast(new, ops.dtype(old)))
        return out


def _is_array_like(value) -> bool:
    return hasattr(value, "shape") or isinstance(value, (int, float, bool))

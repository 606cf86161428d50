"""The plain Python executor of stateless steps: one execution = the steps of a list of batches.

`execute(state, batches) -> (outputs, state)`: for train and test steps, outputs are the last
step's logs; for predict steps, the list of every batch's outputs. JAX replaces this with a
compiled `lax.scan` and may return its outputs as `DeferredOutputs`; the numpy reference uses it as is.

Given the model, each step runs in a `StatelessScope` that maps the state's Variables to the
step's values, as JAX's executor does: a Variable assigned in the step outside `stateless_call`
(a SeedGenerator the model owns, advanced in `train_step`) keeps its new value when the step
returns that entry of the state unchanged, and a write to a Variable outside the state is applied.
"""

from __future__ import annotations

from fitspec.variables import StatelessScope


class DeferredOutputs:
    """Outputs an executor returns while the device may still be computing them (JAX's asynchronous dispatch).

    The core writes the new state back first, host work that overlaps the device's, then calls `fetch()`
    for the outputs on the host.
    """

    __slots__ = ("fetch",)

    def __init__(self, fetch):
        self.fetch = fetch


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


def scoped_step(model, step_fn, step: str):
    """`step_fn` run in a StepScope over the model's state for `step` (fitspec.stateless_trainer)."""

    def run(state, batch):
        variables = model._state_variables(step)
        mapping = [(v, value) for group, values in zip(variables, state) for v, value in zip(group, values)]
        with StepScope(mapping) as scope:
            outputs, new_state = step_fn(state, batch)
        for variable in scope.stray:
            variable.assign(scope.get_current_value(variable))
        kept = tuple(
            [scope.get_current_value(v) if new is old else new for v, old, new in zip(group, old_part, new_part)]
            if isinstance(new_part, (list, tuple)) else new_part
            for group, old_part, new_part in zip(variables, state, new_state)
        )
        return outputs, kept

    return run


def python_loop(step_fn, step: str, model=None):
    if model is not None:
        step_fn = scoped_step(model, step_fn, step)
    if step == "predict_step":

        def execute(state, batches):
            outputs = []
            for batch in batches:
                y_pred, state = step_fn(state, batch)
                outputs.append(y_pred)
            return outputs, state

        return execute

    def execute(state, batches):
        logs = {}
        for batch in batches:
            logs, state = step_fn(state, batch)
        return logs, state

    return execute

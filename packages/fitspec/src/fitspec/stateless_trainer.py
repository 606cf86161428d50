"""The stateless contract of the JAX guide, shared by the numpy reference and JAX.

    train_step(self, state, data) -> (logs, state)
        state = (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)
    test_step(self, state, data) -> (logs, (trainable_variables, non_trainable_variables, metrics_variables))
    predict_step(self, state, data) -> (outputs, non_trainable_variables)

The trainer reads the Variables into a state, runs one execution (a list of batches) through the
backend's executor, checks the returned state's structure and shapes, and writes it back.

Optimizers the model holds besides `model.optimizer` (the GAN's `d_optimizer` and `g_optimizer`)
are not in the step's state, as in Keras 3, but their variables travel with it: the executor
carries them as one more part (`CARRIED`), mapped in the step's stateless scope, so a train_step
that reads them (`v.value`) and assigns them (`v.assign`) works in a compiled step too. Every
step carries the backend's process-wide seed state there as well (unseeded `fs.random` draws).
"""

from __future__ import annotations

import optree

from fitspec import random
from fitspec.data import unpack_x_y_sample_weight
from fitspec.errors import describe
from fitspec.executors import DeferredOutputs

STATE_PARTS = {
    "train_step": ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables"),
    "test_step": ("trainable_variables", "non_trainable_variables", "metrics_variables"),
    "predict_step": ("trainable_variables", "non_trainable_variables"),
}
#: the part the executors carry after the step's state: the other optimizers' variables and the process-wide seed
#: state (fitspec.random: unseeded draws inside a step advance it)
CARRIED = "other_optimizers_variables"


def executor_parts(step: str) -> tuple[str, ...]:
    """The names of the parts of the state an executor runs `step` with: the step's, then what is carried."""
    return STATE_PARTS[step] + (CARRIED,)


class StatelessTrainer:
    """Mixin of the numpy and JAX `Model`: default stateless steps and the state plumbing."""

    # -- default steps ---------------------------------------------------------------------------
    def _loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, sample_weight,
                                 training=False):
        """(loss, (y_pred, new non-trainable values, each output's loss)); add_loss terms included."""
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training
        )
        loss, output_losses = self._compute_loss_terms(y, y_pred, sample_weight)
        return loss, (y_pred, non_trainable_variables, output_losses)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        grad_fn = self.backend.value_and_grad(self._loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable, output_losses)), grads = grad_fn(
            trainable, non_trainable, x, y, sample_weight, training=True
        )
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        logs, metrics_vars = self._stateless_update_metrics(metrics_vars, loss, output_losses, x, y, y_pred,
                                                            sample_weight)
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

    def test_step(self, state, data):
        trainable, non_trainable, metrics_vars = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        loss, (y_pred, non_trainable, output_losses) = self._loss_and_updates(
            trainable, non_trainable, x, y, sample_weight, training=False
        )
        logs, metrics_vars = self._stateless_update_metrics(metrics_vars, loss, output_losses, x, y, y_pred,
                                                            sample_weight)
        return logs, (trainable, non_trainable, metrics_vars)

    def predict_step(self, state, data):
        trainable, non_trainable = state
        x, _, _ = unpack_x_y_sample_weight(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)

    def _stateless_update_metrics(self, metrics_vars, loss, output_losses, x, y, y_pred, sample_weight):
        """Each metric's stateless update (fitspec.trainer.Trainer._metric_updates); others pass through."""
        batch_size = self.ops.shape(optree.tree_leaves(x)[0])[0]
        updates = self._metric_updates(loss, output_losses, y, y_pred, sample_weight, batch_size)
        logs, new_vars, offset = {}, [], 0
        for metric in self.metrics:
            this = list(metrics_vars[offset : offset + len(metric.variables)])
            offset += len(metric.variables)
            if id(metric) in updates:
                args, kwargs = updates[id(metric)]
                this = metric.stateless_update_state(this, *args, **kwargs)
            logs[metric.name] = metric.stateless_result(this)
            new_vars.extend(this)
        return logs, new_vars

    # -- state plumbing ----------------------------------------------------------------------------
    def _state_variables(self, step: str) -> tuple[list, ...]:
        """The Variables of each part of `executor_parts(step)`, in order."""
        groups = {
            "trainable_variables": lambda: self.trainable_variables,
            "non_trainable_variables": lambda: self.non_trainable_variables,
            "optimizer_variables": lambda: self.optimizer.variables,
            "metrics_variables": lambda: self.metrics_variables,
            CARRIED: lambda: ([v for optimizer in self._other_optimizers() for v in optimizer.variables]
                              + random.process_seed_states(self.backend)),
        }
        return tuple(groups[part]() for part in executor_parts(step))

    def _other_optimizers(self) -> list:
        """Optimizers set as attributes of the model, besides `model.optimizer`, in the order they were set."""
        from fitspec.optimizers import Optimizer

        main = getattr(self, "optimizer", None)
        found = []
        for value in vars(self).values():
            if isinstance(value, Optimizer) and value is not main and all(value is not o for o in found):
                found.append(value)
        return found

    def _check_state(self, step: str, before, after) -> None:
        """The returned state must have the structure and shapes of the state given to the step."""
        parts = STATE_PARTS[step]
        where = f"{type(self).__name__}.{step}"
        if not isinstance(after, (tuple, list)) or len(after) != len(parts):
            raise TypeError(
                f"{where} must return (logs, state) with state = ({', '.join(parts)}); "
                f"received a state of {describe(after)}."
            )
        for name, old, new in zip(parts, before, after):
            if not isinstance(new, (list, tuple)) or len(new) != len(old):
                count = len(new) if isinstance(new, (list, tuple)) else describe(new)
                raise ValueError(
                    f"{where} returned state with `{name}` of {count} entries; expected {len(old)} "
                    f"(one per variable, in the order of `model.{name}` given to the step)."
                )
            for i, (o, n) in enumerate(zip(old, new)):
                old_shape, new_shape = tuple(self.ops.shape(o)), tuple(self.ops.shape(n))
                if old_shape != new_shape:
                    raise ValueError(
                        f"{where} returned state with `{name}[{i}]` of shape {new_shape}; expected {old_shape}, "
                        "the shape it had when passed in."
                    )

    def _checked_step(self, step: str):
        """The user's step on the state's own parts; the carried part passes through (the executor's scope
        holds what the step assigned to it)."""
        method = getattr(self, step)
        count = len(STATE_PARTS[step])

        def run(state, data):
            given, carried = tuple(state[:count]), tuple(state[count:])
            out = method(given, data)
            if not isinstance(out, tuple) or len(out) != 2:
                raise TypeError(f"{type(self).__name__}.{step} must return (logs, state); received {describe(out)}.")
            logs, new_state = out
            if step == "predict_step":  # it returns the non-trainable values alone
                new_state = (given[0], new_state)
            self._check_state(step, given, new_state)
            return logs, tuple(list(part) for part in new_state) + carried

        return run

    def _make_step_function(self, step: str):
        cache = self.__dict__.setdefault("_step_functions", {})
        if step not in cache:
            single = self._checked_step(step)
            execute = self.backend.make_executor(self, single, step)

            # An executor that returns each value cast and shaped as its Variable's (`conforms_state`) is
            # written back directly; any other goes through `assign`, which casts and checks. Deferred outputs
            # are fetched after the write-back, which then overlaps the device's work.
            conforms = getattr(execute, "conforms_state", False)
            variables = None  # walked on the first execution: every Variable exists by then; compile() resets

            def function(batches):
                nonlocal variables
                if variables is None:
                    variables = self._state_variables(step)
                state = tuple([v.raw_value for v in group] for group in variables)
                data = [self.backend.convert_batch(self, batch) for batch in batches]
                outputs, state = execute(state, data)
                for group, values in zip(variables, state):
                    for variable, value in zip(group, values):
                        if conforms:
                            variable._write(value)
                        else:
                            variable.assign(value)
                return outputs.fetch() if type(outputs) is DeferredOutputs else outputs

            cache[step] = function
        return cache[step]

    def _make_train_function(self):
        return self._make_step_function("train_step")

    def _make_test_function(self):
        return self._make_step_function("test_step")

    def _make_predict_function(self):
        return self._make_step_function("predict_step")

"""The stateless contract of the JAX guide, shared by the numpy reference and JAX: the default steps.

    train_step(self, state, data) -> (logs, state)
        state = (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)
    test_step(self, state, data) -> (logs, (trainable_variables, non_trainable_variables, metrics_variables))
    predict_step(self, state, data) -> (outputs, non_trainable_variables)

How a step's state is read, checked and written back is fitspec.execution.stateless's.
"""

from __future__ import annotations

import optree

from fitspec import masking
from fitspec.data import unpack_x_y_sample_weight
from fitspec.execution import StatelessExecution
from fitspec.variables import StatelessScope


class StatelessTrainer:
    """Mixin of the numpy and JAX `Model`: the default stateless steps."""

    execution_class = StatelessExecution

    # -- default steps ---------------------------------------------------------------------------
    def _loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, sample_weight,
                                 training=False):
        """(loss, (y_pred, new non-trainable values, each output's loss)); add_loss terms included."""
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training
        )
        loss, output_losses = self._compute_loss_terms(y, y_pred, sample_weight)
        # the outputs' masks travel in the aux: value_and_grad returns new arrays, which carry none
        return loss, ((y_pred, masking.get_masks(y_pred)), non_trainable_variables, output_losses)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if not self.optimizer._scales_loss():
            grad_fn = self.backend.value_and_grad(self._loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable, output_losses)), grads = grad_fn(
                trainable, non_trainable, x, y, sample_weight, training=True
            )
        else:
            def scaled_loss_and_updates(*args, **kwargs):
                """scale_loss(loss), as Keras differentiates it (the optimizer's state from `state`: a loss scale
                that changes from step to step); the loss as it is in aux."""
                loss, aux = self._loss_and_updates(*args, **kwargs)
                with StatelessScope(list(zip(self.optimizer.variables, optimizer_vars))):
                    return self.optimizer.scale_loss(loss), (loss, aux)

            grad_fn = self.backend.value_and_grad(scaled_loss_and_updates, has_aux=True)
            (_, (loss, (y_pred, non_trainable, output_losses))), grads = grad_fn(
                trainable, non_trainable, x, y, sample_weight, training=True
            )
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        logs, metrics_vars = self._stateless_update_metrics(metrics_vars, loss, output_losses, x, y,
                                                            _with_masks(y_pred), sample_weight)
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

    def test_step(self, state, data):
        trainable, non_trainable, metrics_vars = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        loss, (y_pred, non_trainable, output_losses) = self._loss_and_updates(
            trainable, non_trainable, x, y, sample_weight, training=False
        )
        logs, metrics_vars = self._stateless_update_metrics(metrics_vars, loss, output_losses, x, y,
                                                            _with_masks(y_pred), sample_weight)
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


def _with_masks(outputs_and_masks):
    """The outputs, each with its mask attached again (the pair `_loss_and_updates` returns in its aux)."""
    outputs, masks = outputs_and_masks
    for tensor, mask in zip(optree.tree_leaves(outputs), optree.tree_leaves(masks, none_is_leaf=True)):
        if mask is not None:
            masking.set_mask(tensor, mask)
    return outputs

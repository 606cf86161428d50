"""The stateful contract of the TensorFlow and PyTorch guides: `train_step(self, data) -> logs`.

Shared by the TensorFlow and PyTorch backends: the default test and predict steps (which need no
gradients) and the metric updates of a step. Each backend supplies its default `train_step`
(GradientTape, or zero_grad / backward); fitspec.execution.stateful runs the steps.
"""

from __future__ import annotations

from fitspec.data import unpack_x_y_sample_weight
from fitspec.execution import StatefulExecution


class StatefulTrainer:
    """Mixin of the TensorFlow and PyTorch `Model`."""

    execution_class = StatefulExecution

    def _update_metrics(self, loss, x, y, y_pred, sample_weight=None) -> dict:
        """Every metric of the default steps (fitspec.trainer.Trainer._metric_update_arguments); returns all results.

        Each output's loss comes from the `compute_loss` call of the same step.
        """
        updates = self._metric_update_arguments(loss, self._output_losses, y, y_pred, sample_weight,
                                                self._batch_size(x))
        if self._metrics_overridden():  # the metrics the subclass lists are updated, as often as it lists them
            by_id = {id(update[0]): update for update in updates}
            updates = [by_id[id(m)] for m in self.metrics if id(m) in by_id]
        for metric, args, weight in updates:
            metric.update_state(*args, sample_weight=weight)
        return self.get_metrics_result()

    def test_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        return self._update_metrics(loss, x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

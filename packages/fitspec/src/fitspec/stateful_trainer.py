"""The stateful contract of the TensorFlow and PyTorch guides: `train_step(self, data) -> logs`.

Shared by the TensorFlow and PyTorch backends: the default test and predict steps (which need no
gradients), the metric updates of a step, and the execution loop. Each backend supplies its
default `train_step` (GradientTape, or zero_grad / backward) and `backend.compile_step`, which
compiles one execution (tf.function, torch.compile) or returns it unchanged.
"""

from __future__ import annotations

from fitspec.data import unpack_x_y_sample_weight


class StatefulTrainer:
    """Mixin of the TensorFlow and PyTorch `Model`."""

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

    def _make_step_function(self, step: str):
        cache = self.__dict__.setdefault("_step_functions", {})
        if step not in cache:
            method = getattr(self, step)
            if step == "predict_step":

                def execution(batches):
                    return [method(batch) for batch in batches]

            else:

                def execution(batches):
                    logs = {}
                    for batch in batches:
                        logs = method(batch)
                    return logs

            compiled = self.backend.compile_step(self, execution, step)

            def function(batches):
                return compiled([self.backend.convert_batch(self, batch) for batch in batches])

            cache[step] = function
        return cache[step]

    def _make_train_function(self):
        return self._make_step_function("train_step")

    def _make_test_function(self):
        return self._make_step_function("test_step")

    def _make_predict_function(self):
        return self._make_step_function("predict_step")

"""The JAX guide's models (numpy and JAX): stateless train_step(state, data) and test_step(state, data)."""

from __future__ import annotations


def build(fs) -> dict:
    value_and_grad = fs.backend.value_and_grad

    def update_metrics(model, metrics_variables, loss, y, y_pred, sample_weight=None):
        new_metrics_vars, logs = [], {}
        for metric in model.metrics:
            this_metric_vars = metrics_variables[len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
            else:
                this_metric_vars = metric.stateless_update_state(
                    this_metric_vars, y, y_pred, sample_weight=sample_weight
                )
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars
        return logs, new_metrics_vars

    class GuideCustomTrainStep(fs.Model):
        """The guide's first example: compute_loss_and_updates, value_and_grad, stateless_apply."""

        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, sample_weight=None,
                                     training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y, sample_weight = fs.utils.unpack_x_y_sample_weight(data)
            grad_fn = value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, sample_weight, training=True
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            logs, new_metrics_vars = update_metrics(self, metrics_variables, loss, y, y_pred, sample_weight)
            return logs, (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)

    class GuideSampleWeight(GuideCustomTrainStep):
        """The sample_weight variant: (x, y, sample_weight) unpacked and passed to the loss and metrics."""

    class GuideLowerLevel(fs.Model):
        """compile(optimizer=...) only: its own loss function, Mean and MeanAbsoluteError trackers."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = fs.metrics.Mean(name="loss")
            self.mae_metric = fs.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = fs.losses.MeanSquaredError()

        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            return self.loss_fn(y, y_pred), (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data
            grad_fn = value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, training=True
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            loss_tracker_vars = metrics_variables[: len(self.loss_tracker.variables)]
            mae_metric_vars = metrics_variables[len(self.loss_tracker.variables) :]
            loss_tracker_vars = self.loss_tracker.stateless_update_state(loss_tracker_vars, loss)
            mae_metric_vars = self.mae_metric.stateless_update_state(mae_metric_vars, y, y_pred)
            logs = {
                self.loss_tracker.name: self.loss_tracker.stateless_result(loss_tracker_vars),
                self.mae_metric.name: self.mae_metric.stateless_result(mae_metric_vars),
            }
            state = (trainable_variables, non_trainable_variables, optimizer_variables,
                     loss_tracker_vars + mae_metric_vars)
            return logs, state

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class GuideTestStep(fs.Model):
        """The guide's test_step override (it returns the last metric's result, not a dict, as the guide does)."""

        def test_step(self, state, data):
            x, y = data
            trainable_variables, non_trainable_variables, metrics_variables = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=False
            )
            loss = self.compute_loss(x, y, y_pred)
            logs, new_metrics_vars = update_metrics(self, metrics_variables, loss, y, y_pred)
            return logs[self.metrics[-1].name], (trainable_variables, non_trainable_variables, new_metrics_vars)

    class NonDictLogs(fs.Model):
        def train_step(self, state, data):
            return 1.0, state

    class NonScalarLogs(fs.Model):
        def train_step(self, state, data):
            x, _, _ = fs.utils.unpack_x_y_sample_weight(data)
            return {"loss": fs.ops.ones((2, 3))}, state

    return {cls.__name__: cls for cls in (GuideCustomTrainStep, GuideSampleWeight, GuideLowerLevel, GuideTestStep,
                                           NonDictLogs, NonScalarLogs)}

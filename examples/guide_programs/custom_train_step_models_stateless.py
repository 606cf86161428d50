"""The JAX guide's CustomModel classes, written once for the stateless backends (numpy, JAX).

`guide_models(fs, value_and_grad)` gives them on the backend `fs`, keyed by the program of
guide_programs/custom_train_step.py that uses each. They are the guide's, unchanged but for two
substitutions: `keras` -> the backend module `fs`, and `jax.value_and_grad` -> `value_and_grad`:
`jax.value_and_grad` on JAX (the steps are compiled whole by `jax.jit`), `fs.value_and_grad` on numpy
(autograd underneath, with JAX's signature: autograd's own `value_and_grad` has no `has_aux`). The JAX
guide has no sample_weight program: that class is the TensorFlow and PyTorch guides' program in the
JAX guide's idiom.
"""


def guide_models(fs, value_and_grad=None) -> dict:
    """{program name: CustomModel} on `fs`; `value_and_grad` defaults to the backend's."""
    value_and_grad = value_and_grad or fs.backend.value_and_grad
    models = {}

    class CustomModel(fs.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

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
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
            return logs, state

    models["first_simple_example"] = CustomModel

    class CustomModel(fs.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = fs.metrics.Mean(name="loss")
            self.mae_metric = fs.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = fs.losses.MeanSquaredError()

        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss = self.loss_fn(y, y_pred)
            return loss, (y_pred, non_trainable_variables)

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
            logs = {}
            logs[self.loss_tracker.name] = self.loss_tracker.stateless_result(loss_tracker_vars)
            logs[self.mae_metric.name] = self.mae_metric.stateless_result(mae_metric_vars)
            new_metrics_vars = loss_tracker_vars + mae_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
            return logs, state

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    models["going_lower_level"] = CustomModel

    class CustomModel(fs.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, sample_weight,
                                     training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            # Unpack the data. Its structure depends on your model and on what you pass to `fit()`.
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data
            grad_fn = value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, sample_weight, training=True
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, y, y_pred, sample_weight=sample_weight
                    )
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
            return logs, state

    models["supporting_sample_weight_and_class_weight"] = CustomModel

    class CustomModel(fs.Model):
        def test_step(self, state, data):
            x, y = data
            trainable_variables, non_trainable_variables, metrics_variables = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=False
            )
            loss = self.compute_loss(x, y, y_pred)
            new_metrics_vars = []
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
                logs = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (trainable_variables, non_trainable_variables, new_metrics_vars)
            return logs, state

    models["providing_your_own_evaluation_step"] = CustomModel
    return models

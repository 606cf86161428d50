"""The JAX guide "Customizing what happens in fit()", written once for the stateless backends (numpy, JAX).

`main(backend, gradient)` binds `fs` to a fitspec backend module and `value_and_grad` to its gradient
function and runs the guide's three programs; `examples/custom_train_step_<backend>.py` calls it. The
programs are the guide's, unchanged but for two substitutions: `keras` -> the backend module `fs`, and
`jax.value_and_grad` -> `value_and_grad`: `jax.value_and_grad` on JAX (the steps are compiled whole by
`jax.jit`), `fs.value_and_grad` on numpy (autograd underneath, with JAX's signature: autograd's own
`value_and_grad` has no `has_aux`).
"""

import numpy as np

#: the backend and its gradient function: bound by `main` (the guide's module-level `keras` and `jax` imports)
fs = value_and_grad = None


def first_simple_example():
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

    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.fit(x, y, epochs=3)


def going_lower_level():
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

    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam")
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.fit(x, y, epochs=5)


def providing_your_own_evaluation_step():
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

    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.evaluate(x, y)


PROGRAMS = [first_simple_example, going_lower_level, providing_your_own_evaluation_step]


def main(backend, gradient):
    """The guide's programs on `backend`, with `gradient` as `jax.value_and_grad`; each prints its result."""
    global fs, value_and_grad
    fs, value_and_grad = backend, gradient
    print(f"The JAX guide's programs on {backend.__name__}")
    for program in PROGRAMS:
        print(f"== {program.__name__}")
        print(program())

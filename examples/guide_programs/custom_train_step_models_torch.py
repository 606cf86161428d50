"""The PyTorch guide's CustomModel classes ("Customizing what happens in fit()"), on fitspec_torch.

`guide_models(fs)` gives them on `fs`, keyed by the program of guide_programs/custom_train_step.py that
uses each: the guide's classes, unchanged but for `keras` -> `fs`.
"""

import torch


def guide_models(fs) -> dict:
    """{program name: CustomModel} on `fs`."""
    models = {}

    class CustomModel(fs.Model):
        def train_step(self, data):
            # Unpack the data. Its structure depends on your model and
            # on what you pass to `fit()`.
            x, y = data

            # Call torch.nn.Module.zero_grad() to clear the leftover gradients
            # for the weights from the previous train step.
            self.zero_grad()

            # Compute loss
            y_pred = self(x, training=True)  # Forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred)

            # Call torch.Tensor.backward() on the loss to compute gradients
            # for the weights.
            loss.backward()

            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]

            # Update weights
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)

            # Update metrics (includes the metric that tracks the loss)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)

            # Return a dict mapping metric names to current value
            # Note that it will include the loss (tracked in self.metrics).
            return {m.name: m.result() for m in self.metrics}

    models["first_simple_example"] = CustomModel

    class CustomModel(fs.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = fs.metrics.Mean(name="loss")
            self.mae_metric = fs.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = fs.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data

            # Call torch.nn.Module.zero_grad() to clear the leftover gradients
            # for the weights from the previous train step.
            self.zero_grad()

            # Compute loss
            y_pred = self(x, training=True)  # Forward pass
            loss = self.loss_fn(y, y_pred)

            # Call torch.Tensor.backward() on the loss to compute gradients
            # for the weights.
            loss.backward()

            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]

            # Update weights
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)

            # Compute our own metrics
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {
                "loss": self.loss_tracker.result(),
                "mae": self.mae_metric.result(),
            }

        @property
        def metrics(self):
            # We list our `Metric` objects here so that `reset_states()` can be
            # called automatically at the start of each epoch
            # or at the start of `evaluate()`.
            return [self.loss_tracker, self.mae_metric]

    models["going_lower_level"] = CustomModel

    class CustomModel(fs.Model):
        def train_step(self, data):
            # Unpack the data. Its structure depends on your model and
            # on what you pass to `fit()`.
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data

            # Call torch.nn.Module.zero_grad() to clear the leftover gradients
            # for the weights from the previous train step.
            self.zero_grad()

            # Compute loss
            y_pred = self(x, training=True)  # Forward pass
            loss = self.compute_loss(
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
            )

            # Call torch.Tensor.backward() on the loss to compute gradients
            # for the weights.
            loss.backward()

            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]

            # Update weights
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)

            # Update metrics (includes the metric that tracks the loss)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)

            # Return a dict mapping metric names to current value
            # Note that it will include the loss (tracked in self.metrics).
            return {m.name: m.result() for m in self.metrics}

    models["supporting_sample_weight_and_class_weight"] = CustomModel

    class CustomModel(fs.Model):
        def test_step(self, data):
            # Unpack the data
            x, y = data
            # Compute predictions
            y_pred = self(x, training=False)
            # Updates the metrics tracking the loss
            loss = self.compute_loss(y=y, y_pred=y_pred)
            # Update the metrics.
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            # Return a dict mapping metric names to current value.
            # Note that it will include the loss (tracked in self.metrics).
            return {m.name: m.result() for m in self.metrics}

    models["providing_your_own_evaluation_step"] = CustomModel
    return models

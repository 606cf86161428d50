"""The TensorFlow guide's CustomModel classes ("Customizing what happens in fit()"), on fitspec_tensorflow.

`guide_models(fs)` gives them on `fs`, keyed by the program of guide_programs/custom_train_step.py that
uses each: the guide's classes, unchanged but for `keras` -> `fs`.
"""

import tensorflow as tf


def guide_models(fs) -> dict:
    """{program name: CustomModel} on `fs`."""
    models = {}

    class CustomModel(fs.Model):
        def train_step(self, data):
            x, y = data

            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)  # Forward pass
                loss = self.compute_loss(y=y, y_pred=y_pred)

            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)

            self.optimizer.apply(gradients, trainable_vars)

            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)

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

            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)  # Forward pass
                loss = self.loss_fn(y, y_pred)

            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)

            self.optimizer.apply(gradients, trainable_vars)

            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {
                "loss": self.loss_tracker.result(),
                "mae": self.mae_metric.result(),
            }

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    models["going_lower_level"] = CustomModel

    class CustomModel(fs.Model):
        def train_step(self, data):
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data

            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)  # Forward pass
                loss = self.compute_loss(
                    y=y,
                    y_pred=y_pred,
                    sample_weight=sample_weight,
                )

            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)

            self.optimizer.apply(gradients, trainable_vars)

            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)

            return {m.name: m.result() for m in self.metrics}

    models["supporting_sample_weight_and_class_weight"] = CustomModel

    class CustomModel(fs.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    models["providing_your_own_evaluation_step"] = CustomModel
    return models

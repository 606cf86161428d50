"""The TensorFlow guide "Customizing what happens in fit()" on fitspec_tensorflow.

Every program of the guide, unchanged but for `keras` -> `fitspec_tensorflow` (imported as `fs`).
The guide's last program, the GAN, needs convolution layers, which fitspec does not have yet.
"""

import numpy as np
import tensorflow as tf

import fitspec_tensorflow as fs


def first_simple_example():
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

    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)

    model.compile(optimizer="adam")

    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.fit(x, y, epochs=5)


def supporting_sample_weight_and_class_weight():
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

    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])

    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    sw = np.random.random((1000, 1))
    return model.fit(x, y, sample_weight=sw, epochs=3)


def providing_your_own_evaluation_step():
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

    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])

    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.evaluate(x, y)


PROGRAMS = [
    first_simple_example, going_lower_level, supporting_sample_weight_and_class_weight,
    providing_your_own_evaluation_step,
]

if __name__ == "__main__":
    for program in PROGRAMS:
        print(f"== {program.__name__}")
        print(program())

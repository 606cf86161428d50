"""The blog post "Keras 모델 학습 커스터마이징" (customizing Keras training) on fitspec_tensorflow.

Every program of the post, unchanged but for `tf.keras` / `keras` -> `fitspec_tensorflow` (as `fs`).
The post leaves three things undefined, supplied here: `NewLayer` (a custom layer whose forward pass
is the post's `@tf.custom_gradient` function `bar`) and the training batches `ex`, `sy`.
The Keras 2 style train_step runs, and warns once for `compiled_loss` and `compiled_metrics`,
naming their Keras 3 replacements.
"""

import numpy as np
import tensorflow as tf

import fitspec_tensorflow as fs


@tf.custom_gradient
def bar(x, y):
    def grad(upstream):
        dz_dx = y
        dz_dy = x
        return upstream * dz_dx, upstream * dz_dy

    z = x * y
    return z, grad


class NewLayer(fs.layers.Layer):
    """units outputs, each sum(inputs * w[..., unit]) over a sample's entries, through `bar`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(*input_shape[1:], self.units), initializer="glorot_uniform", name="w")

    def call(self, inputs):
        x = tf.expand_dims(inputs, -1)  # (batch, *entries, 1)
        shape = tf.broadcast_dynamic_shape(tf.shape(x), tf.shape(self.w.value))  # (batch, *entries, units)
        z = bar(tf.broadcast_to(x, shape), tf.broadcast_to(self.w.value, shape))
        return tf.reduce_sum(z, axis=list(range(1, len(z.shape) - 1)))


def gradient_tape_basics():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    dy_dx = g.gradient(y, x)
    print(dy_dx)
    return dy_dx


def training_loop_with_gradient_tape():
    def new_model():
        input = fs.layers.Input((2, 2, 1))
        n1 = NewLayer(1)(input)
        output = fs.Model(inputs=input, outputs=n1)
        return output

    model = new_model()
    loss_function = fs.losses.MeanSquaredError()
    optimizer = fs.optimizers.SGD(learning_rate=0.01)
    train_loss = fs.metrics.Mean()

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            predictions = model(images)
            tf.print("pred:", predictions, "\n")
            loss = loss_function(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        tf.print("gradients:", gradients, "\n")
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)

    rng = np.random.default_rng(0)
    ex = [rng.random((2, 2, 2, 1)).astype("float32") for _ in range(3)]
    sy = [np.sum(images, axis=(1, 2, 3))[:, None] * 0.5 for images in ex]

    EPOCHS = 4  # noqa: N806 (the blog's name)
    for epoch in range(EPOCHS):
        for images, labels in zip(ex, sy):
            train_step(images, labels)
        template = "에포크: {}, 손실: {:.5f}"
        print(template.format(epoch + 1, train_loss.result()))
    return float(train_loss.result())


def custom_gradient():
    x = tf.constant([2.0, 5.0], dtype=tf.float32)
    y = tf.constant([3.0, 8.0], dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(y)
        z = bar(x, y)
    print(z)  # tf.Tensor([ 6. 40.], shape=(2,), dtype=float32)
    print(tape.gradient(z, x))  # tf.Tensor([3. 8.], shape=(2,), dtype=float32)
    print(tape.gradient(z, y))  # tf.Tensor([2. 5.], shape=(2,), dtype=float32)
    return z


def keras2_style_train_step():
    class CustomModel(fs.Model):
        def train_step(self, data):
            # Unpack the data. Its structure depends on your model and
            # on what you pass to `fit()`.
            x, y = data

            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)  # Forward pass
                # Compute the loss value
                # (the loss function is configured in `compile()`)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)

            # Compute gradients
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            # Update weights
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))
            # Update metrics (includes the metric that tracks the loss)
            self.compiled_metrics.update_state(y, y_pred)
            # Return a dict mapping metric names to current value
            return {m.name: m.result() for m in self.metrics}

    # Construct and compile an instance of CustomModel
    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])

    # Just use `fit` as usual
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.fit(x, y, epochs=3)


PROGRAMS = [gradient_tape_basics, training_loop_with_gradient_tape, custom_gradient, keras2_style_train_step]

if __name__ == "__main__":
    for program in PROGRAMS:
        print(f"== {program.__name__}")
        print(program())

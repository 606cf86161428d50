"""The small models of the golden cases, built against the user API `fs` (a few thousand weights at most)."""

from __future__ import annotations

from conformance.guide_models import for_backend


def model_class(fs, name: str):
    return fs.Model if name == "Model" else for_backend(fs)[name]


def dense1(fs, cls="Model"):
    """The guides' first model: Dense(1) on 32 features."""
    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    return model_class(fs, cls)(inputs, outputs)


def mlp(fs, cls="Model"):
    """The guide's classifier, scaled down: 20 -> 16 relu -> 16 relu -> 4 softmax."""
    inputs = fs.Input(shape=(20,), name="digits")
    x = fs.layers.Dense(16, activation="relu", name="dense_1")(inputs)
    x = fs.layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = fs.layers.Dense(4, activation="softmax", name="predictions")(x)
    return model_class(fs, cls)(inputs=inputs, outputs=outputs)


def logits_mlp(fs, cls="Model"):
    """Sequential, ending in raw logits: 8 -> 12 tanh -> 1."""
    return fs.Sequential([fs.Input(shape=(8,)), fs.layers.Dense(12, activation="tanh"), fs.layers.Dense(1)])


def every_layer(fs, cls="Model"):
    """Sequential through every layer of the foundation: Flatten, Dense, LeakyReLU, Reshape, ReLU, Activation."""
    return fs.Sequential([
        fs.Input(shape=(4, 6)),
        fs.layers.Flatten(),
        fs.layers.Dense(12, kernel_initializer=fs.initializers.HeNormal(seed=3)),
        fs.layers.LeakyReLU(negative_slope=0.2),
        fs.layers.Reshape((3, 4)),
        fs.layers.Flatten(),
        fs.layers.Dense(8, activation="tanh", bias_initializer=fs.initializers.RandomUniform(seed=4)),
        fs.layers.ReLU(),
        fs.layers.Dense(3, kernel_initializer=fs.initializers.RandomNormal(stddev=0.3, seed=5)),
        fs.layers.Activation("softmax"),
    ])


def subclassed(fs, cls="Model"):
    """A subclassed model with call(): two Dense layers and a sigmoid in between."""

    class TwoLayers(fs.Model):
        def __init__(self):
            super().__init__(name="two_layers")
            self.hidden = fs.layers.Dense(6)
            self.out = fs.layers.Dense(2)

        def call(self, inputs):
            return self.out(fs.ops.sigmoid(self.hidden(inputs)))

    return TwoLayers()


def two_in_two_out(fs, cls="Model"):
    """The guide's multi-input, multi-output model, with Dense in place of the convolutions."""
    image_input = fs.Input(shape=(6,), name="img_input")
    timeseries_input = fs.Input(shape=(4,), name="ts_input")
    x1 = fs.layers.Dense(5, activation="relu")(image_input)
    x2 = fs.layers.Dense(3, activation="tanh")(timeseries_input)
    x = fs.layers.concatenate([x1, x2])
    score_output = fs.layers.Dense(1, name="score_output")(x)
    class_output = fs.layers.Dense(5, activation="softmax", name="class_output")(x)
    return model_class(fs, cls)(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def tiny_softmax(fs, cls="Model"):
    """4 features -> 3 softmax probabilities: small enough for a golden case per loss."""
    return fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3, activation="softmax")])


def activity_regularized(fs, cls="Model"):
    """The guide's ActivityRegularizationLayer between two Dense layers (add_loss plus a compiled loss)."""

    class ActivityRegularizationLayer(fs.layers.Layer):
        def call(self, inputs):
            self.add_loss(fs.ops.sum(inputs) * 0.1)
            return inputs

    inputs = fs.Input(shape=(20,), name="digits")
    x = fs.layers.Dense(8, activation="relu", name="dense_1")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = fs.layers.Dense(8, activation="relu", name="dense_2")(x)
    outputs = fs.layers.Dense(4, name="predictions")(x)
    return model_class(fs, cls)(inputs=inputs, outputs=outputs)


def logistic_endpoint(fs, cls="Model"):
    """The guide's LogisticEndpoint: the loss comes only from add_loss, targets are a model input."""

    class LogisticEndpoint(fs.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = fs.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            return fs.ops.softmax(logits)

    inputs = fs.Input(shape=(3,), name="inputs")
    targets = fs.Input(shape=(10,), name="targets")
    logits = fs.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    return model_class(fs, cls)(inputs=[inputs, targets], outputs=predictions)


BUILDERS = {f.__name__: f for f in (dense1, mlp, logits_mlp, every_layer, subclassed, two_in_two_out, tiny_softmax,
                                    activity_regularized, logistic_endpoint)}

"""The benchmarked models as data: shape, batch, optimizer, loss and metric, the fitspec builder and the data.

Every backend builds the same `ModelSpec` with its own `fs`; the native loops (benchmarks.native)
read the same spec and start from the fitspec model's initial weights, so both train one model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: Keras defaults, the hyperparameters every native loop transcribes.
ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
RMSPROP = {"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7}
#: the probability clip of crossentropy on probabilities (Keras' backend epsilon).
EPSILON = 1e-7


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One benchmarked model: its layers, its training configuration and its data.

    The layers, as data the native loops rebuild: `conv` = (filters, kernel size) puts
    Conv2D(filters, kernel, relu, "valid") -> MaxPooling2D(2) -> Flatten before the Dense stack
    `layers` = ((units, activation), ...). `requires` names layers the backend must offer, else
    the model is skipped.
    """

    name: str
    description: str
    input_shape: tuple[int, ...]
    layers: tuple[tuple[int, str], ...]
    batch_size: int
    optimizer: str
    loss: str
    metric: str
    classes: int | None = None
    conv: tuple[int, int] | None = None
    requires: tuple[str, ...] = ()
    #: a Dropout(dropout) after each hidden Dense layer; 0: none
    dropout: float = 0.0
    #: the global dtype policy the model is built under (mixed precision); None: floatx. The native loops compute
    #: in its compute dtype by their framework's own means (benchmarks.native.mixed); Keras trains the float32 model
    dtype_policy: str | None = None

    def missing_layer(self, fs) -> str | None:
        """The name of a layer this model needs and `fs` lacks, or None."""
        return next((name for name in self.requires if not hasattr(fs.layers, name)), None)

    def build(self, fs, **compile_kwargs):
        """The compiled fitspec model, weights built, seeded so every backend starts from the same weights."""
        fs.utils.set_random_seed(0)
        fs.config.set_dtype_policy(self.dtype_policy)
        try:
            inputs = fs.Input(shape=self.input_shape)
            model = fs.Model(inputs, apply_layers(fs.layers, self, inputs))
        finally:
            fs.config.set_dtype_policy(None)
        model.compile(optimizer=self.optimizer, loss=self.loss, metrics=[self.metric], **compile_kwargs)
        return model

    def data(self, steps: int, dtype: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """`steps` full batches of inputs and targets: floats in `dtype`, class ids as int64."""
        rng = np.random.default_rng(seed)
        n = steps * self.batch_size
        x = rng.random((n, *self.input_shape)).astype(dtype)
        if self.classes is None:
            y = rng.random((n, self.layers[-1][0])).astype(dtype)
        else:
            y = rng.integers(0, self.classes, (n,)).astype("int64")
        return x, y


def apply_layers(layers, spec: ModelSpec, inputs):
    """The outputs of `spec`'s layers from the namespace `layers` (fs.layers, or keras.layers) on `inputs`."""
    h = inputs
    if spec.conv is not None:
        filters, kernel_size = spec.conv
        h = layers.Conv2D(filters, kernel_size, activation="relu")(h)
        h = layers.Flatten()(layers.MaxPooling2D(2)(h))
    for i, (units, activation) in enumerate(spec.layers):
        h = layers.Dense(units, activation=None if activation == "linear" else activation)(h)
        if spec.dropout and i < len(spec.layers) - 1:
            h = layers.Dropout(spec.dropout, seed=i)(h)
    return h


GUIDE = ModelSpec(
    name="guide", description="Dense(1) on 32 features, batch 32, adam, mse, mae",
    input_shape=(32,), layers=((1, "linear"),), batch_size=32, optimizer="adam", loss="mse", metric="mae",
)
MLP = ModelSpec(
    name="mlp", description="MLP 784-64-64-10 relu/softmax, batch 64, rmsprop, sparse CE, accuracy",
    input_shape=(784,), layers=((64, "relu"), (64, "relu"), (10, "softmax")), batch_size=64, optimizer="rmsprop",
    loss="sparse_categorical_crossentropy", metric="accuracy", classes=10,
)
CONVNET = ModelSpec(
    name="convnet", description="Conv2D(8, 3) relu, MaxPooling2D(2), Dense(10) softmax on 28x28x1, batch 64, rmsprop",
    input_shape=(28, 28, 1), layers=((10, "softmax"),), batch_size=64, optimizer="rmsprop",
    loss="sparse_categorical_crossentropy", metric="accuracy", classes=10, conv=(8, 3),
    requires=("Conv2D", "MaxPooling2D", "Flatten"),
)

#: two more, run on request (`--models mlp_small,wide`): the golden cases' small classifier, where Python's cost per
#: step dominates, and a wide MLP, where the arithmetic outweighs it
MLP_SMALL = ModelSpec(
    name="mlp_small", description="MLP 20-16-16-4 relu/softmax, batch 64, rmsprop, sparse CE, accuracy",
    input_shape=(20,), layers=((16, "relu"), (16, "relu"), (4, "softmax")), batch_size=64, optimizer="rmsprop",
    loss="sparse_categorical_crossentropy", metric="accuracy", classes=4,
)
WIDE = ModelSpec(
    name="wide", description="MLP 784-256-256-10 relu/softmax, batch 128, adam, sparse CE, accuracy",
    input_shape=(784,), layers=((256, "relu"), (256, "relu"), (10, "softmax")), batch_size=128,
    optimizer="adam", loss="sparse_categorical_crossentropy", metric="accuracy", classes=10,
)

DROPOUT_MLP = dataclasses.replace(
    MLP, name="dropout_mlp", description="the mlp with Dropout(0.25) after each hidden layer", dropout=0.25,
    requires=("Dropout",),
)

#: the mlp's mixed-precision twins (docs/SPEC.md 3.4), run on request (`--models mlp,mlp_mixed_bfloat16`): on CPU
#: bfloat16 and float16 may be slower than float32; numpy has no bfloat16, and computes float16 without BLAS
MLP_MIXED_BFLOAT16 = dataclasses.replace(MLP, name="mlp_mixed_bfloat16", dtype_policy="mixed_bfloat16",
                                         description="the mlp under mixed_bfloat16 (bfloat16 compute, float32 weights)")
MLP_MIXED_FLOAT16 = dataclasses.replace(MLP, name="mlp_mixed_float16", dtype_policy="mixed_float16",
                                        description="the mlp under mixed_float16, its optimizer loss-scaled")

MODELS = {spec.name: spec for spec in (GUIDE, MLP, CONVNET, DROPOUT_MLP, MLP_SMALL, WIDE, MLP_MIXED_BFLOAT16,
                                       MLP_MIXED_FLOAT16)}

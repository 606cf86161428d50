"""The small models of the golden cases, built against the user API `fs` (a few thousand weights at most)."""

from __future__ import annotations

from conformance import guide_models
from fitspec.saving.registry import register_keras_serializable


def model_class(fs, name: str):
    return fs.Model if name == "Model" else guide_models.model_class(fs, name)


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


# -- the layers of the guides (conv, pooling, normalization, embedding) -------------------------------------------
def small_conv_net(fs, cls="Model"):
    """Conv2D (strides 2, same) -> LeakyReLU -> Conv2DTranspose (same) -> MaxPooling2D -> Conv2D (valid) ->
    GlobalMaxPooling2D -> Dense softmax, on 8x8x1 images."""
    inputs = fs.Input(shape=(8, 8, 1), name="image")
    x = fs.layers.Conv2D(4, 3, strides=2, padding="same", name="down")(inputs)
    x = fs.layers.LeakyReLU(negative_slope=0.2)(x)
    x = fs.layers.Conv2DTranspose(3, 3, strides=2, padding="same", name="up")(x)
    x = fs.layers.MaxPooling2D(pool_size=(2, 2), name="pool")(x)
    x = fs.layers.Conv2D(4, (2, 3), strides=(1, 2), padding="valid", name="valid_conv")(x)
    x = fs.layers.GlobalMaxPooling2D()(x)
    outputs = fs.layers.Dense(3, activation="softmax", name="classes")(x)
    return model_class(fs, cls)(inputs, outputs)


def conv1d_sequence(fs, cls="Model"):
    """Conv1D (strides 2, same) -> LeakyReLU -> Conv1D (valid) -> GlobalMaxPooling1D -> Dense, on 12 steps of 2."""
    return fs.Sequential([
        fs.Input(shape=(12, 2)),
        fs.layers.Conv1D(5, 3, strides=2, padding="same"),
        fs.layers.LeakyReLU(negative_slope=0.1),
        fs.layers.Conv1D(4, 2, padding="valid"),
        fs.layers.GlobalMaxPooling1D(),
        fs.layers.Dense(1),
    ])


def embedding_average(fs, cls="Model"):
    """Embedding(20, 4) of 10 token ids -> GlobalAveragePooling1D -> Dense softmax."""
    return fs.Sequential([
        fs.Input(shape=(10,), dtype="int32"),
        fs.layers.Embedding(20, 4),
        fs.layers.GlobalAveragePooling1D(),
        fs.layers.Dense(3, activation="softmax"),
    ])


def layer_normalized(fs, cls="Model"):
    """LayerNormalization over two axes, Dense on the last axis, LayerNormalization over it, Dense."""
    return fs.Sequential([
        fs.Input(shape=(4, 5)),
        fs.layers.LayerNormalization(axis=[1, 2]),
        fs.layers.Dense(6),
        fs.layers.LayerNormalization(),
        fs.layers.Flatten(),
        fs.layers.Dense(2),
    ])


def batch_normalized(fs, cls="Model"):
    """BatchNormalization over (batch, height, width) after a Conv2D, and over the batch after pooling."""
    inputs = fs.Input(shape=(6, 6, 2))
    x = fs.layers.Conv2D(4, 3, name="conv")(inputs)
    x = fs.layers.BatchNormalization(momentum=0.9, name="bn_image")(x)
    x = fs.layers.LeakyReLU(negative_slope=0.2)(x)
    x = fs.layers.GlobalAveragePooling2D()(x)
    x = fs.layers.BatchNormalization(name="bn_features")(x)
    outputs = fs.layers.Dense(1, name="score")(x)
    return model_class(fs, cls)(inputs, outputs)


BUILDERS.update({f.__name__: f for f in (small_conv_net, conv1d_sequence, embedding_average, layer_normalized,
                                         batch_normalized)})


# -- randomness inside the step: the same masks and noise on every backend (docs/SPEC.md "Random") ------------------
def dropout_mlp(fs, cls="Model"):
    """20 -> 16 relu -> Dropout(0.25, seed 5) -> 16 relu -> Dropout(0.5, unseeded) -> 4 softmax."""
    inputs = fs.Input(shape=(20,))
    x = fs.layers.Dense(16, activation="relu")(inputs)
    x = fs.layers.Dropout(0.25, seed=5)(x)
    x = fs.layers.Dense(16, activation="relu")(x)
    x = fs.layers.Dropout(0.5)(x)  # seeded from fitspec's seed stream: set_random_seed fixes it
    outputs = fs.layers.Dense(4, activation="softmax")(x)
    return model_class(fs, cls)(inputs, outputs)


def row_dropout_sequential(fs, cls="Model"):
    """Sequential: 5 -> 12 tanh -> Dropout(0.3, noise_shape=(None, 1), seed 6): whole rows -> 2."""
    return fs.Sequential([fs.Input(shape=(5,)), fs.layers.Dense(12, activation="tanh"),
                          fs.layers.Dropout(0.3, noise_shape=(None, 1), seed=6), fs.layers.Dense(2)])


def unseeded_noise(fs, cls="Model"):
    """Dense(8 tanh) -> 0.1 N(0, 1) noise in training, drawn unseeded (the process-wide seed state) as float32, so
    that the float32 and float64 runs add the same noise -> Dense(1)."""

    class TrainingNoise(fs.layers.Layer):
        def call(self, x, training=False):
            if not training:
                return x
            noise = fs.random.normal(fs.ops.shape(x), stddev=0.1, dtype="float32")
            return x + fs.ops.cast(noise, x.dtype)

    return fs.Sequential([fs.Input(shape=(6,)), fs.layers.Dense(8, activation="tanh"), TrainingNoise(),
                          fs.layers.Dense(1)])


BUILDERS.update({f.__name__: f for f in (dropout_mlp, row_dropout_sequential, unseeded_noise)})


# -- merging, reshaping, noise and normalization layers (docs/SPEC.md 8d.8-8d.11) ------------------------------------
def merging_branches(fs, cls="Model"):
    """A chain of four Dense layers whose outputs are merged by every merge layer (and the functional forms), Dot on
    rank 2 (normalized) and rank 3, Add of ranks 3 and 2, concatenated -> ActivityRegularization -> Dense(2). The
    Dense layers form a chain so that Keras's Functional model (which orders layers by depth) orders the weights as
    fitspec does."""
    inputs = fs.Input(shape=(6,), name="features")
    a = fs.layers.Dense(4, name="branch_a")(inputs)
    b = fs.layers.Dense(4, activation="sigmoid", name="branch_b")(a)
    c = fs.layers.Dense(4, name="branch_c")(b)
    d = fs.layers.Dense(2, name="branch_d")(c)
    sequence = fs.layers.Reshape((2, 2))(c)
    merged = [
        fs.layers.Add()([a, b, c]), fs.layers.subtract([a, b]), fs.layers.Multiply()([a, b, c]),
        fs.layers.average([a, c]), fs.layers.Maximum()([a, b, c]), fs.layers.minimum([b, c]),
        fs.layers.Dot(axes=1, normalize=True)([a, c]),
        fs.layers.Flatten()(fs.layers.dot([sequence, fs.layers.Reshape((2, 2))(a)], axes=(2, 1))),
        fs.layers.Flatten()(fs.layers.Add()([sequence, d])),  # (batch, 2) gains an axis: (batch, 1, 2)
    ]
    x = fs.layers.concatenate(merged)
    x = fs.layers.ActivityRegularization(l1=0.01, l2=0.02)(x)
    outputs = fs.layers.Dense(2, name="score")(x)
    return model_class(fs, cls)(inputs, outputs)


def reshaping_chain(fs, cls="Model"):
    """Sequential through every reshaping layer: 2-D padding, bilinear and nearest upsampling, cropping, Permute,
    3-D padding, cropping and upsampling, Flatten(channels_first), RepeatVector, the 1-D ones, Identity."""
    return fs.Sequential([
        fs.Input(shape=(3, 2, 2)),
        fs.layers.Dense(2),
        fs.layers.ZeroPadding2D(((1, 0), (0, 1))),
        fs.layers.UpSampling2D((1, 2), interpolation="bilinear"),
        fs.layers.Cropping2D(((1, 0), (1, 2))),
        fs.layers.UpSampling2D((2, 1)),
        fs.layers.Permute((2, 1, 3)),
        fs.layers.Reshape((3, 3, 2, 2)),
        fs.layers.ZeroPadding3D(((0, 1), (1, 0), (0, 0))),
        fs.layers.Cropping3D(((1, 1), (0, 1), (0, 0))),
        fs.layers.UpSampling3D((1, 1, 2)),
        fs.layers.Flatten(data_format="channels_first"),
        fs.layers.Dense(3, activation="sigmoid"),
        fs.layers.RepeatVector(4),
        fs.layers.ZeroPadding1D((1, 2)),
        fs.layers.Cropping1D((2, 1)),
        fs.layers.UpSampling1D(2),
        fs.layers.Identity(),
        fs.layers.Flatten(),
        fs.layers.Dense(1),
    ])


def noise_layers(fs, cls="Model"):
    """Every noise layer, seeded, in training: GaussianNoise, SpatialDropout1D, GaussianDropout, AlphaDropout,
    SpatialDropout2D (channels_first), SpatialDropout3D -> Dense(2)."""
    return fs.Sequential([
        fs.Input(shape=(6, 4)),
        fs.layers.Dense(4),
        fs.layers.GaussianNoise(0.1, seed=1),
        fs.layers.SpatialDropout1D(0.25, seed=2),
        fs.layers.GaussianDropout(0.2, seed=3),
        fs.layers.AlphaDropout(0.2, seed=4),
        fs.layers.Reshape((3, 2, 4)),
        fs.layers.SpatialDropout2D(0.3, data_format="channels_first", seed=5),
        fs.layers.Reshape((3, 2, 2, 2)),
        fs.layers.SpatialDropout3D(0.3, seed=6),
        fs.layers.Flatten(),
        fs.layers.Dense(2),
    ])


def normalization_layers(fs, cls="Model"):
    """GroupNormalization (3 groups of the last axis; then one group per channel of axis 1), RMSNormalization over two
    axes, UnitNormalization -> Dense(2)."""
    return fs.Sequential([
        fs.Input(shape=(4, 6)),
        fs.layers.Dense(6),
        fs.layers.GroupNormalization(groups=3),
        fs.layers.GroupNormalization(groups=-1, axis=1, epsilon=0.01),
        fs.layers.RMSNormalization(axis=[1, 2]),
        fs.layers.Dense(5),
        fs.layers.UnitNormalization(),
        fs.layers.Flatten(),
        fs.layers.Dense(2),
    ])


BUILDERS.update({f.__name__: f for f in (merging_branches, reshaping_chain, noise_layers, normalization_layers)})
# -- the losses and activations of issue 16 -----------------------------------------------------------------------
#: the activations of keras.activations each golden branch uses (sparsemax has its own case: Keras 3.15 differs;
#: glu halves its input, which Keras's Dense does not know when it builds the next layer; tanh is a guide's)
BRANCH_ACTIVATIONS = ("relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu", "softplus", "softsign",
                      "squareplus", "soft_shrink", "sparse_plus", "silu", "swish", "gelu", "tanh_shrink",
                      "sigmoid", "sparse_sigmoid", "exponential", "hard_sigmoid", "hard_silu", "hard_swish",
                      "hard_tanh", "hard_shrink", "linear", "mish", "log_softmax", "log_sigmoid")


def every_activation(fs, cls="Model"):
    """6 features -> one Dense(2) branch per activation (by name; gelu also approximate, relu and threshold with
    options) -> concatenated -> Dense(3) softmax."""
    inputs = fs.Input(shape=(6,), name="features")
    activations = [*BRANCH_ACTIVATIONS,
                   lambda x: fs.activations.gelu(x, approximate=True),
                   lambda x: fs.activations.relu(x, negative_slope=0.1, max_value=1.5, threshold=0.2),
                   lambda x: fs.activations.threshold(x, 0.1, -0.5)]
    branches = [fs.layers.Dense(2, activation=a, name=f"branch_{i}")(inputs) for i, a in enumerate(activations)]
    outputs = fs.layers.Dense(3, activation="softmax", name="head")(fs.layers.concatenate(branches))
    return model_class(fs, cls)(inputs, outputs)


def sparsemax_head(fs, cls="Model"):
    """4 features -> Dense(6 sigmoid) -> Dense(3 sparsemax): probabilities with exact zeros."""
    return fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(6, activation="sigmoid"),
                          fs.layers.Dense(3, activation="sparsemax")])


def activation_layers(fs, cls="Model"):
    """Dense -> PReLU (shared over no axis) -> Dense -> ELU(0.5) -> Dense -> ReLU(max_value, negative_slope,
    threshold) -> Dense -> LeakyReLU(0.1) -> Reshape -> PReLU(shared_axes=[1]) -> Flatten -> Dense -> Softmax."""
    return fs.Sequential([
        fs.Input(shape=(6,)),
        fs.layers.Dense(8), fs.layers.PReLU(alpha_initializer=fs.initializers.Constant(0.25)),
        fs.layers.Dense(8), fs.layers.ELU(alpha=0.5),
        fs.layers.Dense(8), fs.layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.2),
        fs.layers.Dense(8), fs.layers.LeakyReLU(negative_slope=0.1),
        fs.layers.Reshape((2, 4)), fs.layers.PReLU(alpha_initializer=fs.initializers.Constant(0.1), shared_axes=[1]),
        fs.layers.Flatten(), fs.layers.Dense(3), fs.layers.Softmax(),
    ])


#: head name -> its activation, for the losses of the losses issue (one Dense(3) head each)
LOSS_HEADS = {"binary_focal": "sigmoid", "binary_focal_logits": None, "categorical_focal": "softmax",
              "generalized_ce": "softmax", "categorical_hinge": None, "squared_hinge": None, "dice": "sigmoid",
              "tversky": "sigmoid", "ignore_class": None, "smoothed_bce": "sigmoid", "smoothed_cce_logits": None}


def loss_heads(fs, cls="Model"):
    """4 features -> Dense(6 sigmoid) -> one Dense(3) head per loss (LOSS_HEADS)."""
    inputs = fs.Input(shape=(4,), name="features")
    hidden = fs.layers.Dense(6, activation="sigmoid", name="hidden")(inputs)
    outputs = [fs.layers.Dense(3, activation=activation, name=name)(hidden) for name, activation in LOSS_HEADS.items()]
    return model_class(fs, cls)(inputs, outputs)


def embedding_head(fs, cls="Model"):
    """4 features -> Dense(6 sigmoid) -> Dense(3): embeddings for the Circle loss."""
    return fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(6, activation="sigmoid"), fs.layers.Dense(3)])


def ctc_sequence(fs, cls="Model"):
    """(6 steps, 3 features) -> Dense(8 sigmoid) -> Dense(4): per-step logits over 3 labels and the blank 0."""
    return fs.Sequential([fs.Input(shape=(6, 3)), fs.layers.Dense(8, activation="sigmoid"), fs.layers.Dense(4)])


BUILDERS.update({f.__name__: f for f in (every_activation, sparsemax_head, activation_layers, loss_heads,
                                         embedding_head, ctc_sequence)})
def initialized_by_name(fs, cls="Model"):
    """A frame of 8 samples through an STFT Conv1D and Dense layers whose weights come from issue 16's initializers
    (docs/SPEC.md 3.3): their initial weights are part of the golden file."""
    inits = fs.initializers
    return fs.Sequential([
        fs.Input(shape=(8, 1)),
        fs.layers.Conv1D(3, 4, kernel_initializer=inits.STFT(window="hamming", periodic=True),
                         bias_initializer=inits.TruncatedNormal(mean=0.1, stddev=0.05, seed=41)),
        fs.layers.Flatten(),
        fs.layers.Dense(6, activation="relu", kernel_initializer=inits.Orthogonal(gain=1.5, seed=42),
                        bias_initializer=inits.Constant(0.05)),
        fs.layers.Dense(6, kernel_initializer=inits.Identity(gain=0.5), bias_initializer="ones"),
        fs.layers.Dense(5, activation="tanh", kernel_initializer="lecun_normal",
                        bias_initializer=inits.VarianceScaling(0.5, "fan_out", "untruncated_normal", seed=43)),
        fs.layers.Dense(3, activation="softmax", kernel_initializer=inits.LecunUniform(seed=44)),
    ])


BUILDERS.update({f.__name__: f for f in (initialized_by_name,)})


def regularized(fs, cls="Model"):
    """Conv1D and Dense layers with every regularizer as weight and activity penalties (docs/SPEC.md 8d.9); the L1
    bias starts off zero, where Keras on JAX takes another subgradient of |x| than fitspec."""
    regs = fs.regularizers
    return fs.Sequential([
        fs.Input(shape=(6, 2)),
        fs.layers.Conv1D(3, 3, activation="sigmoid", kernel_regularizer=regs.L1L2(l1=0.01, l2=0.02),
                         bias_regularizer="l2"),
        fs.layers.Flatten(),
        fs.layers.Dense(5, activation="relu", kernel_regularizer=regs.OrthogonalRegularizer(0.5, mode="rows"),
                        activity_regularizer=regs.L1(0.05)),
        fs.layers.Dense(3, activation="softmax", kernel_regularizer=regs.OrthogonalRegularizer(0.2, mode="columns"),
                        bias_regularizer=regs.L1(0.1), bias_initializer=fs.initializers.Constant(0.1),
                        activity_regularizer=regs.L2(0.03)),
    ])


BUILDERS.update({f.__name__: f for f in (regularized,)})


def constrained(fs, cls="Model"):
    """Conv1D and Dense layers whose weights every constraint holds after each update (docs/SPEC.md 8d.10)."""
    cons = fs.constraints
    return fs.Sequential([
        fs.Input(shape=(6, 2)),
        fs.layers.Conv1D(3, 3, activation="sigmoid", kernel_constraint=cons.UnitNorm(axis=[0, 1]),
                         bias_constraint="non_neg"),
        fs.layers.Flatten(),
        fs.layers.Dense(5, activation="relu", kernel_constraint=cons.MaxNorm(0.6),
                        bias_constraint=cons.MinMaxNorm(0.1, 0.3, rate=0.5), bias_initializer="ones"),
        fs.layers.Dense(3, activation="softmax", kernel_constraint=cons.MinMaxNorm(0.5, 0.9, axis=1),
                        kernel_regularizer=fs.regularizers.L2(0.1)),
    ])


BUILDERS.update({f.__name__: f for f in (constrained,)})
# -- issue 15's preprocessing layers (docs/SPEC.md 8d.P) ----------------------------------------------------------
def preprocessing_numeric(fs, cls="Model"):
    """4 features -> Normalization adapted on the case's x; Discretization(num_bins=3, one_hot) adapted on it;
    Discretization(bin_boundaries) -> CategoryEncoding(count); Rescaling(per feature) -> Normalization(given,
    invert) -> concatenated -> Dense(8, relu) -> Dense(2). Only the first branch and the head have weights, so Keras's
    Functional model orders them as fitspec does."""
    from conformance.cases import PREPROCESSING_NUMERIC_DATA

    x = PREPROCESSING_NUMERIC_DATA.make()["x"]
    inputs = fs.Input(shape=(4,))
    normalization = fs.layers.Normalization()
    normalization.adapt(x)
    quantiles = fs.layers.Discretization(num_bins=3, output_mode="one_hot")
    quantiles.adapt(x)
    branches = [
        normalization(inputs),
        fs.layers.Flatten()(quantiles(inputs)),
        fs.layers.CategoryEncoding(4, output_mode="count")(fs.layers.Discretization([0.25, 0.5, 0.75])(inputs)),
        fs.layers.Normalization(mean=[0.5, 1.0, 1.5, 2.0], variance=[0.1, 0.2, 0.4, 0.8], invert=True)(
            fs.layers.Rescaling([1.0, 2.0, 3.0, 4.0], offset=0.5)(inputs)),
    ]
    hidden = fs.layers.Dense(8, activation="relu")(fs.layers.Concatenate()(branches))
    return model_class(fs, cls)(inputs, fs.layers.Dense(2)(hidden))


def preprocessing_images(fs, cls="Model"):
    """6x6x2 images -> Resizing(8, 7) -> RandomFlip(horizontal) -> CenterCrop(5, 5) -> RandomFlip(vertical,
    channels_first) -> Resizing(4, 3, nearest, crop_to_aspect_ratio) -> Rescaling -> RandomContrast ->
    RandomBrightness -> Conv2D -> Dense(2), the random layers seeded and active in training."""
    return fs.Sequential([
        fs.Input(shape=(6, 6, 2)),
        fs.layers.Resizing(8, 7),
        fs.layers.RandomFlip("horizontal", seed=3),
        fs.layers.CenterCrop(5, 5),
        fs.layers.RandomFlip("vertical", seed=4, data_format="channels_first"),
        fs.layers.Resizing(4, 3, interpolation="nearest", crop_to_aspect_ratio=True),
        fs.layers.Rescaling(2.0, offset=-1.0),
        fs.layers.RandomContrast((0.1, 0.3), value_range=(-1, 1), seed=5),
        fs.layers.RandomBrightness(0.2, value_range=(-1.5, 1.5), seed=6),
        fs.layers.Conv2D(3, 2, activation="relu"),
        fs.layers.Flatten(),
        fs.layers.Dense(2),
    ])


def preprocessing_random_crop(fs, cls="Model"):
    """5x6x1 images -> RandomCrop(3, 4) (a random window in training, the centred resize in inference) -> Dense(1)."""
    return fs.Sequential([fs.Input(shape=(5, 6, 1)), fs.layers.RandomCrop(3, 4, seed=8), fs.layers.Flatten(),
                          fs.layers.Dense(1)])


BUILDERS.update({f.__name__: f for f in (preprocessing_numeric, preprocessing_images, preprocessing_random_crop)})


# -- attention (docs/SPEC.md 8d.A) -----------------------------------------------------------------------------------
def attention_transformer_block(fs, cls="Model"):
    """A transformer block on 6 tokens, then every other attention layer in a chain (so that Keras orders the weights
    as fitspec does): Embedding(12, 8) -> causal MultiHeadAttention(2 heads, key_dim 4, dropout 0.2 on its weights,
    its scores returned too) + residual -> LayerNormalization -> EinsumDense feed-forward (relu; the plain and the
    left-elided equation forms) -> Attention(use_scale, concat, causal) -> Attention(dot, with a key) ->
    AdditiveAttention -> GroupQueryAttention (4 query heads sharing 2 key/value heads, causal, scores returned) ->
    GlobalMaxPooling1D -> Dense(3) softmax."""
    tokens = fs.Input(shape=(6,), dtype="int32")
    x = fs.layers.Embedding(12, 8)(tokens)
    attended, _ = fs.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.2, seed=3, name="self_attention")(
        x, x, use_causal_mask=True, return_attention_scores=True)
    x = fs.layers.LayerNormalization()(fs.layers.add([x, attended]))
    h = fs.layers.EinsumDense("btd,df->btf", output_shape=(None, 12), bias_axes="f", activation="relu")(x)
    h = fs.layers.EinsumDense("...f,fd->...d", output_shape=8, bias_axes="d")(h)
    a = fs.layers.Attention(use_scale=True, score_mode="concat", name="luong_concat")([h, x], use_causal_mask=True)
    a = fs.layers.Attention(name="luong_dot")([a, x, h])
    a = fs.layers.AdditiveAttention(name="bahdanau")([a, x, h])
    a, _ = fs.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, name="grouped")(
        a, x, use_causal_mask=True, return_attention_scores=True)
    a = fs.layers.GlobalMaxPooling1D()(a)
    return model_class(fs, cls)(tokens, fs.layers.Dense(3, activation="softmax")(a))


BUILDERS.update({f.__name__: f for f in (attention_transformer_block,)})


# -- convolution and pooling variants (docs/SPEC.md 8d.C1-8d.C5) ----------------------------------------------------
def conv1d_variants(fs, cls="Model"):
    """16 steps of 4: causal dilated Conv1D -> grouped Conv1D -> DepthwiseConv1D -> SeparableConv1D (strides 2) ->
    AveragePooling1D (same) -> Conv1DTranspose (output_padding) -> channels_first Conv1D and MaxPooling1D ->
    GlobalMaxPooling1D -> Dense (sigmoid, not tanh, and no mean: Keras 3.15 on JAX computes
    both in float32 for float64 inputs; see crosscheck DEVIATIONS). No relu: a dead unit would make the max pools
    meet ties, whose gradient each framework routes its own way."""
    lay = fs.layers
    inputs = fs.Input(shape=(16, 4), name="sequence")
    x = lay.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="sigmoid", name="causal")(inputs)
    x = lay.Conv1D(4, 3, padding="same", groups=2, name="grouped")(x)
    x = lay.DepthwiseConv1D(3, depth_multiplier=2, padding="same", activation="sigmoid", name="depthwise")(x)
    x = lay.SeparableConv1D(5, 3, strides=2, depth_multiplier=2, name="separable")(x)
    x = lay.AveragePooling1D(2, strides=1, padding="same", name="average")(x)
    # bias 0.1: the output_padding position reads only the bias, and the numpy reference's sigmoid has gradient 0
    # at exactly 0 (autograd's d|x|/dx = 0 there; reported, not changed here: other goldens depend on it)
    x = lay.Conv1DTranspose(4, 3, strides=2, output_padding=1, activation="sigmoid",
                            bias_initializer=fs.initializers.Constant(0.1), name="transposed")(x)
    x = lay.Conv1D(3, 2, data_format="channels_first", name="channels_first")(x)
    x = lay.MaxPooling1D(2, data_format="channels_first", name="max_first")(x)
    x = lay.GlobalMaxPooling1D(name="global")(x)
    outputs = lay.Dense(1, name="out")(x)
    return model_class(fs, cls)(inputs, outputs)


def conv2d3d_variants(fs, cls="Model"):
    """6x6 images of 2 channels: dilated DepthwiseConv2D -> SeparableConv2D (strides 2) -> Conv2DTranspose
    (output_padding, same) -> AveragePooling2D -> channels_first grouped Conv2D -> Reshape to 3-D ->
    Conv3D (same) -> MaxPooling3D (same) -> Conv3DTranspose -> AveragePooling3D -> GlobalMaxPooling3D -> Dense."""
    lay = fs.layers
    inputs = fs.Input(shape=(6, 6, 2), name="image")
    x = lay.DepthwiseConv2D(3, depth_multiplier=2, padding="same", dilation_rate=2, activation="sigmoid",
                            name="depthwise")(inputs)
    x = lay.SeparableConv2D(4, 3, strides=2, padding="same", name="separable")(x)
    x = lay.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, activation="sigmoid",
                            name="transposed")(x)
    x = lay.AveragePooling2D(2, padding="valid", name="average")(x)
    x = lay.Conv2D(3, 2, groups=3, data_format="channels_first", name="channels_first")(x)
    x = lay.Reshape((3, 2, 3, 1))(x)
    x = lay.Conv3D(2, 2, padding="same", dilation_rate=(1, 2, 1), activation="sigmoid", name="conv3d")(x)
    x = lay.MaxPooling3D(2, strides=1, padding="same", name="max3d")(x)
    x = lay.Conv3DTranspose(2, 2, strides=(1, 2, 1), name="transposed3d")(x)
    x = lay.AveragePooling3D((2, 2, 1), padding="same", data_format="channels_first", name="average3d")(x)
    x = lay.GlobalMaxPooling3D(keepdims=True, name="global")(x)
    x = lay.Flatten()(x)
    outputs = lay.Dense(3, activation="softmax", name="out")(x)
    return model_class(fs, cls)(inputs, outputs)


BUILDERS.update({f.__name__: f for f in (conv1d_variants, conv2d3d_variants)})


# -- masking and recurrent layers (docs/SPEC.md "Masking", "Recurrent") ----------------------------------------------
def masked_text_rnn(fs, cls="Model"):
    """Padded token ids -> Embedding(mask_zero) -> LSTM (sequences) -> GRU (reset_after=False, sequences) -> GRU
    (reset_after, backwards, last step) -> Dense softmax: the mask reaches every recurrent layer."""
    return fs.Sequential([
        fs.Input(shape=(7,), dtype="int32"),
        fs.layers.Embedding(12, 4, mask_zero=True),
        fs.layers.LSTM(5, return_sequences=True),
        fs.layers.GRU(4, return_sequences=True, reset_after=False),
        fs.layers.GRU(3, go_backwards=True),
        fs.layers.Dense(3, activation="softmax"),
    ])


def masked_bidirectional_sequence(fs, cls="Model"):
    """Masking -> SimpleRNN (sequences and state) -> Bidirectional(GRU) -> LSTM started from the SimpleRNN's state
    -> TimeDistributed(Dense): a per-step output whose mask weights the loss and the metric."""
    inputs = fs.Input(shape=(6, 3), name="steps")
    masked = fs.layers.Masking(0.0)(inputs)
    sequence, state = fs.layers.SimpleRNN(4, return_sequences=True, return_state=True)(masked)
    both = fs.layers.Bidirectional(fs.layers.GRU(3, return_sequences=True), merge_mode="concat")(sequence)
    resumed = fs.layers.LSTM(4, return_sequences=True)(both, initial_state=[state, state])
    outputs = fs.layers.TimeDistributed(fs.layers.Dense(2))(resumed)
    return model_class(fs, cls)(inputs, outputs)


BUILDERS.update({f.__name__: f for f in (masked_text_rnn, masked_bidirectional_sequence)})


def routed_mlp(fs, cls="Model"):
    """6 -> 4 sigmoid ("hidden", a tall kernel) -> 8 relu ("wide", a wide kernel) -> 3 softmax ("head"): variables
    a MultiOptimizer routes by path, matrices of both orientations for Muon (docs/SPEC.md 7.7). No tanh: Keras's on
    JAX is off numpy's (docs/SPEC.md 11), which Newton-Schulz would amplify."""
    return fs.Sequential([
        fs.Input(shape=(6,)),
        fs.layers.Dense(4, activation="sigmoid", name="hidden"),
        fs.layers.Dense(8, activation="relu", name="wide"),
        fs.layers.Dense(3, activation="softmax", name="head"),
    ])


BUILDERS.update({f.__name__: f for f in (routed_mlp,)})


def mixed_float16_mlp(fs, cls="Model"):
    """4 -> 8 relu -> 3, both Dense layers of policy mixed_float16 (float32 variables, float16 compute and outputs),
    then the softmax in floatx, as Keras's guide ends a mixed model (docs/SPEC.md 3.4)."""
    return fs.Sequential([
        fs.Input(shape=(4,)),
        fs.layers.Dense(8, activation="relu", dtype="mixed_float16"),
        fs.layers.Dense(3, dtype="mixed_float16"),
        fs.layers.Activation("softmax", dtype=fs.config.floatx()),
    ])


BUILDERS.update({f.__name__: f for f in (mixed_float16_mlp,)})


# -- issue 15's random affine layers (docs/SPEC.md 8d.P2) ----------------------------------------------------------
def preprocessing_random_affine(fs, cls="Model"):
    """6x5x2 images -> RandomRotation (reflect) -> RandomTranslation (constant 0.5) -> RandomZoom (wrap, nearest)
    -> Conv2D -> Dense(2), the layers seeded and active in training, the identity in evaluate and predict."""
    return fs.Sequential([
        fs.Input(shape=(6, 5, 2)),
        fs.layers.RandomRotation((-0.15, 0.2), seed=21),
        fs.layers.RandomTranslation(0.2, (-0.3, 0.1), fill_mode="constant", fill_value=0.5, seed=22),
        fs.layers.RandomZoom((-0.2, 0.3), 0.25, fill_mode="wrap", interpolation="nearest", seed=23),
        fs.layers.Conv2D(3, 2, activation="relu"),
        fs.layers.Flatten(),
        fs.layers.Dense(2),
    ])


BUILDERS.update({f.__name__: f for f in (preprocessing_random_affine,)})


# -- issue 15's lookup and hashing layers (docs/SPEC.md 8d.L) ------------------------------------------------------
def lookups_numeric(fs, cls="Model"):
    """4 features -> Discretization([0.25, 0.5, 0.75]) -> IntegerLookup(vocabulary [3, 1, 0]) -> Embedding(5, 2),
    beside Hashing(4, count) of the codes and IntegerLookup(multi_hot, 2 OOV indices) adapted on the case's codes
    -> concatenated -> Dense(2). The lookups run on the host: the case compiles with run_eagerly=True."""
    import numpy as np

    from conformance.cases import LOOKUPS_DATA

    adapted = fs.layers.IntegerLookup(output_mode="multi_hot", num_oov_indices=2)
    adapted.adapt(np.digitize(LOOKUPS_DATA.make()["x"][:, :2], [0.25, 0.5, 0.75]))
    inputs = fs.Input(shape=(4,))
    codes = fs.layers.Discretization([0.25, 0.5, 0.75])(inputs)
    branches = [
        fs.layers.Flatten()(fs.layers.Embedding(5, 2)(fs.layers.IntegerLookup(vocabulary=[3, 1, 0])(codes))),
        fs.layers.Hashing(num_bins=4, output_mode="count")(codes),
        adapted(codes),
    ]
    return model_class(fs, cls)(inputs, fs.layers.Dense(2)(fs.layers.Concatenate()(branches)))


BUILDERS.update({f.__name__: f for f in (lookups_numeric,)})


# -- issue 15: recurrent dropout, stateful RNNs, ConvLSTM (docs/SPEC.md RNN.6-RNN.8) ---------------------------------
def recurrent_dropout_sequence(fs, cls="Model"):
    """SimpleRNN (relu: Keras 3.15 on JAX cannot run its tanh in float64; dropout and recurrent_dropout) -> LSTM
    (both: one mask per gate) -> GRU (dropout: one mask), seeded: the masks of the portable generator in training,
    none in evaluate and predict."""
    return fs.Sequential([
        fs.Input(shape=(6, 3)),
        fs.layers.SimpleRNN(4, activation="relu", dropout=0.2, recurrent_dropout=0.3, seed=11, return_sequences=True),
        fs.layers.LSTM(4, dropout=0.25, recurrent_dropout=0.2, seed=12, return_sequences=True),
        fs.layers.GRU(3, dropout=0.3, seed=13),
        fs.layers.Dense(2),
    ])


def stateful_recurrent(fs, cls="Model"):
    """Batches of 8 through a stateful LSTM (unrolled, recurrent_dropout) and a stateful GRU (reset_after=False):
    each batch starts from the states the previous one left."""
    return fs.Sequential([
        fs.Input(batch_shape=(8, 5, 3)),
        fs.layers.LSTM(4, stateful=True, unroll=True, recurrent_dropout=0.2, seed=15, return_sequences=True),
        fs.layers.GRU(3, stateful=True, reset_after=False),
        fs.layers.Dense(2),
    ])


def conv_lstm_branches(fs, cls="Model"):
    """(time 3, 4x4, 2 channels) through ConvLSTM2D (strides 2, dropout and recurrent_dropout), beside ConvLSTM1D
    over the rows (dilated, backwards) and ConvLSTM3D (channels_first) over reshapes, their last outputs flattened
    and concatenated -> Dense (one ConvLSTM of each rank: each is a scan JAX compiles)."""
    inputs = fs.Input(shape=(3, 4, 4, 2))
    two = fs.layers.ConvLSTM2D(3, 2, strides=2, padding="same", dropout=0.2, recurrent_dropout=0.1, seed=14)(inputs)
    one = fs.layers.ConvLSTM1D(2, 3, dilation_rate=2, go_backwards=True)(fs.layers.Reshape((3, 16, 2))(inputs))
    three = fs.layers.ConvLSTM3D(2, 2, data_format="channels_first")(fs.layers.Reshape((3, 2, 2, 2, 4))(inputs))
    merged = fs.layers.Concatenate()([fs.layers.Flatten()(t) for t in (two, one, three)])
    return model_class(fs, cls)(inputs, fs.layers.Dense(2)(merged))


BUILDERS.update({f.__name__: f for f in (recurrent_dropout_sequence, stateful_recurrent, conv_lstm_branches)})


# -- attention on propagated masks (docs/SPEC.md 8d.A7) --------------------------------------------------------------
def masked_attention_text(fs, cls="Model"):
    """Padded token ids -> Embedding(mask_zero) -> MultiHeadAttention (self) -> GroupQueryAttention (causal) ->
    Attention([., MHA output]) -> AdditiveAttention([., GQA output]) -> GlobalAveragePooling1D (over the kept steps)
    -> Dense softmax: every attention layer takes its masks from its inputs. The multi-head layers return their
    scores too, so that Keras computes its explicit path (8d.A2)."""
    tokens = fs.Input(shape=(7,), dtype="int32")
    x = fs.layers.Embedding(12, 6, mask_zero=True)(tokens)
    a, _ = fs.layers.MultiHeadAttention(2, 3, name="self_attention")(x, x, return_attention_scores=True)
    g, _ = fs.layers.GroupQueryAttention(2, 4, 2, name="grouped")(a, a, use_causal_mask=True,
                                                                   return_attention_scores=True)
    c = fs.layers.Attention(use_scale=True, name="luong")([g, a])
    d = fs.layers.AdditiveAttention(name="bahdanau")([c, g])
    pooled = fs.layers.GlobalAveragePooling1D()(d)
    return model_class(fs, cls)(tokens, fs.layers.Dense(3, activation="softmax")(pooled))


BUILDERS.update({f.__name__: f for f in (masked_attention_text,)})


# -- adaptive pooling, Lambda, SpectralNormalization (docs/SPEC.md 8d.AP, 8d.LA, 8d.SN) --------------------------------
@register_keras_serializable(package="conformance")
def shifted_square(x, shift=0.0):
    """x² + shift: the Lambda of `adaptive_pooling_lambda` (registered, so that its config names it)."""
    return x * x + shift


def adaptive_pooling_lambda(fs, cls="Model"):
    """A (9, 7, 2) image -> Dense(3) per pixel, then three branches: AdaptiveAveragePooling2D((4, 3)) ->
    Lambda(x² + 0.25) -> channels_first AdaptiveMaxPooling2D((3, 2)); reshaped to 63 steps -> AdaptiveMaxPooling1D(5)
    -> AdaptiveAveragePooling1D(3); reshaped to (9, 7, 3, 1) -> AdaptiveAveragePooling3D((2, 3, 2)) ->
    AdaptiveMaxPooling3D(1); flattened, concatenated -> Dense(3) softmax. Bins of unequal widths and (1-D) more bins
    than a window's width."""
    image = fs.Input(shape=(9, 7, 2))
    x = fs.layers.Dense(3)(image)
    a = fs.layers.AdaptiveAveragePooling2D((4, 3))(x)
    a = fs.layers.Lambda(shifted_square, arguments={"shift": 0.25})(a)
    a = fs.layers.AdaptiveMaxPooling2D((3, 2), data_format="channels_first")(a)
    b = fs.layers.AdaptiveMaxPooling1D(5)(fs.layers.Reshape((63, 3))(x))
    b = fs.layers.AdaptiveAveragePooling1D(3)(b)
    c = fs.layers.AdaptiveAveragePooling3D((2, 3, 2))(fs.layers.Reshape((9, 7, 3, 1))(x))
    c = fs.layers.AdaptiveMaxPooling3D(1)(c)
    joined = fs.layers.Concatenate()([fs.layers.Flatten()(t) for t in (a, b, c)])
    return model_class(fs, cls)(image, fs.layers.Dense(3, activation="softmax")(joined))


def spectral_normalized_mlp(fs, cls="Model"):
    """SpectralNormalization(Dense(6, sigmoid), power_iterations=2) -> SpectralNormalization(Dense(3)) -> softmax."""
    inputs = fs.Input(shape=(5,))
    x = fs.layers.SpectralNormalization(fs.layers.Dense(6, activation="sigmoid"), power_iterations=2)(inputs)
    x = fs.layers.SpectralNormalization(fs.layers.Dense(3))(x)
    return model_class(fs, cls)(inputs, fs.layers.Softmax()(x))


BUILDERS.update({f.__name__: f for f in (adaptive_pooling_lambda, spectral_normalized_mlp)})


# -- issue 16's normalization layers under a mixed policy (docs/SPEC.md 3.4) -----------------------------------------
def normalized_convnet(fs, cls="Model", policy=None):
    """6x6x1 -> Conv2D(4, 3) -> BatchNormalization -> relu -> Flatten -> Dense(8) -> LayerNormalization -> relu ->
    Dense(3), each of dtype `policy` (None: the global policy), then the softmax in floatx."""
    return fs.Sequential([
        fs.Input(shape=(6, 6, 1)),
        fs.layers.Conv2D(4, 3, dtype=policy),
        fs.layers.BatchNormalization(dtype=policy),
        fs.layers.Activation("relu", dtype=policy),
        fs.layers.Flatten(dtype=policy),
        fs.layers.Dense(8, dtype=policy),
        fs.layers.LayerNormalization(dtype=policy),
        fs.layers.Activation("relu", dtype=policy),
        fs.layers.Dense(3, dtype=policy),
        fs.layers.Activation("softmax", dtype=fs.config.floatx()),
    ])


def mixed_float16_normalized_convnet(fs, cls="Model"):
    return normalized_convnet(fs, cls, "mixed_float16")


BUILDERS.update({f.__name__: f for f in (mixed_float16_normalized_convnet,)})

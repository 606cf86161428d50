"""The backend as a package: declared in the registry, its namespace built from the core and its declarations,
and one floatx that everything creating a float follows."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from fitspec import backend_registry, binding


def test_the_backend_is_declared_in_the_registry_and_loads_as_its_namespace(fs):
    assert fs.backend.name in backend_registry.names()
    assert backend_registry.load(fs.backend.name) is fs


# -- the namespace ---------------------------------------------------------------------------------
def test_every_module_imports_by_name_and_is_the_namespace(fs):
    for module in ("layers", "losses", "metrics", "optimizers", "optimizers.schedules", "activations",
                   "initializers", "callbacks", "models", "saving", "config", "utils", "datasets"):
        imported = importlib.import_module(f"{fs.__name__}.{module}")
        namespace = fs
        for part in module.split("."):
            namespace = getattr(namespace, part)
        assert imported is namespace, module
        assert set(imported.__all__) <= set(vars(imported)), module
    from_import = importlib.import_module(f"{fs.__name__}.layers").Dense
    assert from_import is fs.layers.Dense and issubclass(fs.layers.Dense, fs.layers.Layer)


def test_the_core_classes_are_bound_to_this_backend_above_one_base_per_module(fs):
    for module, (base_name, _) in binding.BOUND_MODULES.items():
        namespace = importlib.import_module(f"{fs.__name__}.{module}")
        base = getattr(namespace, base_name)
        assert base.backend is fs.backend, module
        classes = [c for c in vars(namespace).values() if inspect.isclass(c) and c is not base]
        assert classes and all(issubclass(c, base) for c in classes if c.__module__ == namespace.__name__), module
    assert issubclass(fs.Model, fs.layers.Layer) and issubclass(fs.Sequential, fs.Model)
    assert fs.config.available_devices() == fs.backend.available_devices()


def test_what_the_backend_declares_is_in_its_namespace_bound_like_the_core(fs):
    for module, declaration in binding.declarations(fs.backend).items():
        namespace = importlib.import_module(f"{fs.__name__}.{module}")
        if callable(declaration):  # classes built on the bound ones: the names stay the core's
            continue
        for name, entry in declaration.items():
            assert name in namespace.__all__, f"{module}.{name}"
            found = getattr(namespace, name)
            if inspect.isclass(entry) and module in binding.BOUND_MODULES:
                assert issubclass(found, entry) and found.backend is fs.backend, f"{module}.{name}"
            else:
                assert found is entry, f"{module}.{name}"


def test_a_user_subclass_of_a_namespace_class_is_a_class_of_this_backend(fs):
    class Doubling(fs.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    class Twice(fs.metrics.Mean):
        pass

    outputs = Doubling()(fs.ops.ones((2, 3)))
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(outputs), np.full((2, 3), 2.0))
    metric = Twice()
    metric.update_state(fs.ops.convert_to_tensor([1.0, 3.0]))
    assert float(fs.ops.convert_to_numpy(metric.result())) == 2.0 and Doubling.backend is fs.backend


# -- floatx ------------------------------------------------------------------------------------------
def test_every_op_that_creates_a_float_without_a_dtype_follows_floatx(fs, precision):
    ops = fs.ops
    assert fs.config.floatx() == precision
    ints = ops.convert_to_tensor(np.array([1, 2], "int32"))
    created = {
        "zeros": ops.zeros((2,)),
        "ones": ops.ones((2, 1)),
        "full of an int": ops.full((2,), 3),
        "full of a float": ops.full((2,), 0.5),
        "one_hot": ops.one_hot(np.array([0, 2]), 3),
        "arange of floats": ops.arange(0.0, 2.0, 0.5),
        "convert_to_tensor of a Python float": ops.convert_to_tensor(1.5),
        "convert_to_tensor of a list of Python numbers": ops.convert_to_tensor([1, 2.5]),
        "convert_to_tensor of nested lists": ops.convert_to_tensor([[1.0], [2.0]]),
        "an int tensor times a Python float": ops.multiply(ints, 0.5),
        "a Python float plus an int tensor": ops.add(0.5, ints),
        "the division of ints": ops.divide(ints, ints),
        "divide_no_nan of ints": ops.divide_no_nan(ints, ints),
        "the mean of ints": ops.mean(ints),
        "sqrt of ints": ops.sqrt(ints),
        "exp of ints": ops.exp(ints),
        "floor of ints": ops.floor(ints),
        "sigmoid of ints": ops.sigmoid(ints),
        "softmax of ints": ops.softmax(ints),
        "random.normal": fs.random.normal((3,), seed=1),
        "random.uniform": fs.random.uniform((3,), seed=1),
        "Variable of a Python float": fs.Variable(1.5).value,
    }
    wrong = {what: ops.dtype(value) for what, value in created.items() if ops.dtype(value) != precision}
    assert wrong == {}, f"not in floatx={precision}: {wrong}"


def test_what_has_its_own_dtype_keeps_it_whatever_floatx_is(fs, precision):
    ops = fs.ops
    other = "float16"  # a dtype every framework holds whatever floatx is (JAX holds float64 only under float64)
    kept = {
        "convert_to_tensor of a numpy array": (ops.convert_to_tensor(np.zeros(2, other)), other),
        "zeros with a dtype": (ops.zeros((2,), dtype=other), other),
        "full with an int dtype": (ops.full((2,), 3, dtype="int32"), "int32"),
        "zeros_like": (ops.zeros_like(np.zeros(2, other)), other),
        "random.randint": (fs.random.randint((2,), 0, 3, seed=1), "int32"),
        "Variable of a numpy array": (fs.Variable(np.zeros(2, other)).value, other),
    }
    wrong = {what: ops.dtype(value) for what, (value, dtype) in kept.items() if ops.dtype(value) != dtype}
    assert wrong == {}, f"changed by floatx={precision}: {wrong}"


def test_layers_metrics_losses_and_optimizers_are_built_in_floatx(fs, precision):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    dtypes = {v.path: v.dtype for v in [*model.weights, *model.optimizer.variables, *model.metrics_variables]
              if "iteration" not in v.path}
    assert set(dtypes.values()) == {precision}, dtypes
    assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.dtype(precision)


def test_set_floatx_changes_this_backend_only_and_refuses_a_non_float_dtype(fs, precision):
    import fitspec_numpy

    before = fitspec_numpy.config.floatx()
    other = "float32" if precision == "float64" else "float64"
    fs.config.set_floatx(other)
    try:
        assert fs.ops.dtype(fs.ops.zeros((1,))) == other
        if fs is not fitspec_numpy:
            assert fitspec_numpy.config.floatx() == before
    finally:
        fs.config.set_floatx(precision)
    with pytest.raises(ValueError, match=r"set_floatx: argument `dtype` expected one of .*; received 'int32'"):
        fs.config.set_floatx("int32")
    assert fs.config.floatx() == precision


# -- the merging, reshaping, noise and normalization layers (docs/SPEC.md 8d.8-8d.11) ------------------------------
MERGING_RESHAPING_NOISE_NORMALIZATION = {
    "classes": ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot", "Concatenate", "Permute",
                "RepeatVector", "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D",
                "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "Flatten", "Identity", "Reshape",
                "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D",
                "SpatialDropout3D", "ActivityRegularization", "UnitNormalization", "GroupNormalization",
                "RMSNormalization"],
    "functions": ["add", "subtract", "multiply", "average", "maximum", "minimum", "dot", "concatenate"],
}


def test_the_merging_reshaping_noise_and_normalization_layers_are_exported_with_keras_arguments(fs):
    import inspect

    for name in MERGING_RESHAPING_NOISE_NORMALIZATION["classes"]:
        cls = getattr(fs.layers, name)
        assert name in fs.layers.__all__ and issubclass(cls, fs.layers.Layer) and cls.backend is fs.backend, name
    for name in MERGING_RESHAPING_NOISE_NORMALIZATION["functions"]:
        assert name in fs.layers.__all__ and callable(getattr(fs.layers, name)), name
    signatures = {  # Keras 3's argument names and defaults
        "Dot": "(axes, normalize=False, **kwargs)",
        "UpSampling2D": "(size=(2, 2), data_format=None, interpolation='nearest', **kwargs)",
        "ZeroPadding3D": "(padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs)",
        "Cropping1D": "(cropping=(1, 1), **kwargs)",
        "Cropping2D": "(cropping=((0, 0), (0, 0)), data_format=None, **kwargs)",
        "AlphaDropout": "(rate, noise_shape=None, seed=None, **kwargs)",
        "SpatialDropout2D": "(rate, data_format=None, seed=None, **kwargs)",
        "ActivityRegularization": "(l1=0.0, l2=0.0, **kwargs)",
        "RMSNormalization": "(axis=-1, epsilon=1e-06, **kwargs)",
    }
    for name, signature in signatures.items():
        assert str(inspect.signature(getattr(fs.layers, name))) == signature, name
    assert str(inspect.signature(fs.layers.dot)) == "(inputs, axes=-1, **kwargs)"
# -- the names of model configs and custom objects (docs/SPEC.md 2.6-2.10) ----------------------------------------
MODEL_CONFIG_NAMES = {
    "": ["Layer", "Loss", "Metric", "Optimizer", "Initializer", "KerasTensor", "InputSpec"],
    "layers": ["InputLayer", "InputSpec", "serialize", "deserialize"],
    "models": ["model_from_json", "clone_model", "load_model"],
    "saving": ["register_keras_serializable", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
               "serialize_keras_object", "deserialize_keras_object", "get_registered_name", "get_registered_object",
               "save_model", "load_model"],
    "utils": ["register_keras_serializable", "get_custom_objects", "custom_object_scope", "serialize_keras_object",
              "deserialize_keras_object"],
    "initializers": ["Initializer"],
}


def test_the_model_config_names_are_exported(fs):
    missing = [f"{module}.{name}".lstrip(".") for module, names in MODEL_CONFIG_NAMES.items() for name in names
               if not hasattr(importlib.import_module(f"{fs.__name__}.{module}".rstrip(".")), name)]
    assert missing == []
    for name in MODEL_CONFIG_NAMES[""]:
        assert name in fs.__all__, name
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    for method in ("get_config", "from_config", "to_json", "summary", "load_weights"):
        assert callable(getattr(model, method)), method
# -- the names of issue 16's losses and activations and issue 15's activation layers (docs/SPEC.md 5.4-5.5, 8d.8) --
#: module -> the names Keras 3.15 exports there that this area adds (every backend exports them all)
EXPECTED_LOSSES_AND_ACTIVATIONS = {
    "losses": ["BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
               "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "Circle",
               "CosineSimilarity", "Dice", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss", "MeanAbsoluteError",
               "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
               "SparseCategoricalCrossentropy", "SquaredHinge", "Tversky", "binary_crossentropy",
               "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
               "categorical_generalized_cross_entropy", "categorical_hinge", "circle", "cosine_similarity", "ctc",
               "deserialize", "dice", "get", "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
               "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
               "serialize", "sparse_categorical_crossentropy", "squared_hinge", "tversky"],
    "activations": ["celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "hard_shrink", "hard_sigmoid",
                    "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax",
                    "mish", "relu", "relu6", "selu", "serialize", "sigmoid", "silu", "soft_shrink", "softmax",
                    "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish",
                    "tanh", "tanh_shrink", "threshold"],
    "layers": ["Activation", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"],
    "metrics": ["CategoricalHinge", "SquaredHinge", "categorical_hinge", "squared_hinge"],
}


@pytest.mark.parametrize("module", list(EXPECTED_LOSSES_AND_ACTIVATIONS))
def test_every_loss_activation_and_activation_layer_name_of_keras_is_exported(fs, module):
    namespace = getattr(fs, module)
    missing = [name for name in EXPECTED_LOSSES_AND_ACTIVATIONS[module] if name not in namespace.__all__]
    assert missing == [], f"fs.{module} lacks {missing}"
# -- issue 16: the metric names Keras 3 exports ------------------------------------------------------------------
KERAS_METRIC_NAMES = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy",
    "CategoricalCrossentropy", "ConcordanceCorrelation", "CosineSimilarity", "F1Score", "FBetaScore",
    "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError", "Mean", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper", "MeanSquaredError", "MeanSquaredLogarithmicError",
    "Metric", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "Poisson", "Precision", "PrecisionAtRecall",
    "R2Score", "Recall", "RecallAtPrecision", "RootMeanSquaredError", "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity", "Sum", "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives",
    "binary_accuracy", "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy",
    "concordance_correlation", "deserialize", "get", "hinge", "huber", "kl_divergence", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "pearson_correlation", "poisson", "serialize", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]  # not yet: SquaredHinge, CategoricalHinge and the focal / hinge functions (the losses' part of issue 16)


def test_the_metrics_namespace_has_keras_names(fs):
    missing = [name for name in KERAS_METRIC_NAMES if name not in fs.metrics.__all__]
    assert missing == [], missing
# -- initializers (issue 16) -----------------------------------------------------------------------
#: `dir(keras.initializers)` of Keras 3.15, public names
KERAS_INITIALIZERS = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "IdentityInitializer",
    "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "OrthogonalInitializer", "RandomNormal",
    "RandomUniform", "STFT", "STFTInitializer", "TruncatedNormal", "VarianceScaling", "Zeros", "constant",
    "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal",
    "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform", "serialize", "stft",
    "truncated_normal", "variance_scaling", "zeros",
]


def test_initializers_export_every_name_keras_exports(fs):
    assert sorted(fs.initializers.__all__) == KERAS_INITIALIZERS
    assert fs.initializers.orthogonal is fs.initializers.Orthogonal is fs.initializers.OrthogonalInitializer


# -- regularizers (issue 15) ------------------------------------------------------------------------
#: `dir(keras.regularizers)` of Keras 3.15, public names
KERAS_REGULARIZERS = ["L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1", "l1_l2",
                      "l2", "orthogonal_regularizer", "serialize"]


def test_regularizers_export_every_name_keras_exports(fs):
    assert sorted(fs.regularizers.__all__) == KERAS_REGULARIZERS
    assert fs.regularizers.l1_l2 is fs.regularizers.L1L2


# -- constraints (issue 15) -------------------------------------------------------------------------
#: `dir(keras.constraints)` of Keras 3.15, public names
KERAS_CONSTRAINTS = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm",
                     "min_max_norm", "non_neg", "serialize", "unit_norm"]


def test_constraints_export_every_name_keras_exports(fs):
    assert sorted(fs.constraints.__all__) == KERAS_CONSTRAINTS
    assert fs.constraints.max_norm is fs.constraints.MaxNorm
# -- the optimizers and schedules of Keras 3 (issue 16) ---------------------------------------------------------------
#: Keras 3's `keras.optimizers` names that fitspec exports (docs/SPEC.md 7.3), each with its string name
OPTIMIZER_NAMES = {"Adadelta": "adadelta", "Adafactor": "adafactor", "Adagrad": "adagrad", "Adamax": "adamax",
                   "Ftrl": "ftrl", "Lamb": "lamb", "Lion": "lion", "Nadam": "nadam",
                   "ScheduleFreeAdamW": "schedulefreeadamw",
                   "Muon": "muon"}
#: exported without a string name (it wraps an inner optimizer)
WRAPPERS = ("LossScaleOptimizer",
            "MultiOptimizer")


def test_every_keras_optimizer_fitspec_builds_is_exported_with_its_string_name(fs):
    for name, alias in OPTIMIZER_NAMES.items():
        cls = getattr(fs.optimizers, name)
        assert name in fs.optimizers.__all__ and issubclass(cls, fs.optimizers.Optimizer), name
        assert type(fs.optimizers.get(alias)) is cls and type(fs.optimizers.get(name)) is cls, alias
    for name in WRAPPERS:
        assert name in fs.optimizers.__all__ and issubclass(getattr(fs.optimizers, name), fs.optimizers.Optimizer)


def test_optimizer_and_schedule_functions_and_the_ema_callback_are_exported(fs):
    for module, names in ((fs.optimizers, ("get", "serialize", "deserialize")),
                          (fs.optimizers.schedules, ("serialize", "deserialize", "CosineDecayRestarts")),
                          (fs.callbacks, ("SwapEMAWeights",))):
        for name in names:
            assert name in module.__all__ and callable(getattr(module, name)), f"{module.__name__}.{name}"
# -- issue 15's preprocessing layers (docs/SPEC.md 8d.P) ----------------------------------------------------------
#: the preprocessing layers fitspec builds, each exported by every backend as Keras 3 exports it in keras.layers
PREPROCESSING_LAYERS = ["CategoryEncoding", "CenterCrop", "Discretization", "Normalization", "RandomBrightness",
                        "RandomContrast", "RandomCrop", "RandomFlip", "Rescaling", "Resizing"]


def test_the_preprocessing_layers_are_exported(fs):
    for name in PREPROCESSING_LAYERS:
        assert name in fs.layers.__all__ and issubclass(getattr(fs.layers, name), fs.layers.Layer), name
# -- the attention layers and EinsumDense (issue 15, docs/SPEC.md 8d.A) --------------------------------------------
ATTENTION_SIGNATURES = {  # Keras 3.15's argument names and defaults
    "EinsumDense": "(equation, output_shape, activation=None, bias_axes=None, kernel_initializer='glorot_uniform', "
                   "bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None, "
                   "bias_constraint=None, **kwargs)",
    "MultiHeadAttention": "(num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None, "
                          "attention_axes=None, sliding_window=None, flash_attention=None, "
                          "kernel_initializer='glorot_uniform', bias_initializer='zeros', kernel_regularizer=None, "
                          "bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
                          "bias_constraint=None, use_gate=False, seed=None, **kwargs)",
    "GroupQueryAttention": "(head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True, "
                           "sliding_window=None, flash_attention=None, kernel_initializer='glorot_uniform', "
                           "bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None, "
                           "activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False, "
                           "seed=None, **kwargs)",
    "Attention": "(use_scale=False, score_mode='dot', dropout=0.0, seed=None, **kwargs)",
    "AdditiveAttention": "(use_scale=True, dropout=0.0, **kwargs)",
}


def assert_layers_exported_with_signatures(fs, signatures: dict) -> None:
    """Each name is in fs.layers, a Layer of this backend, with Keras's signature."""
    for name, signature in signatures.items():
        cls = getattr(fs.layers, name)
        assert name in fs.layers.__all__ and issubclass(cls, fs.layers.Layer) and cls.backend is fs.backend, name
        assert str(inspect.signature(cls)) == signature, name


def test_the_attention_layers_are_exported_with_keras_arguments(fs):
    assert_layers_exported_with_signatures(fs, ATTENTION_SIGNATURES)
    assert "einsum" in dir(fs.ops) and callable(fs.ops.einsum)
# -- the convolution and pooling variants (docs/SPEC.md 8d.C1-8d.C5) ------------------------------------------------
#: name -> Keras 3's argument names and defaults (fitspec writes 1 where Keras writes (1, 1)), or None: exported
CONVOLUTION_AND_POOLING = {
    "Conv1D": "(filters, kernel_size, strides=1, padding='valid', data_format=None, dilation_rate=1, groups=1, "
              "activation=None, use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros', "
              "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
              "bias_constraint=None, **kwargs)",
    "Conv2D": None, "Conv3D": None,
    "Conv1DTranspose": "(filters, kernel_size, strides=1, padding='valid', output_padding=None, data_format=None, "
                       "dilation_rate=1, activation=None, use_bias=True, kernel_initializer='glorot_uniform', "
                       "bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None, "
                       "activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs)",
    "Conv2DTranspose": None,
    "Conv3DTranspose": "(filters, kernel_size, strides=1, padding='valid', data_format=None, output_padding=None, "
                       "dilation_rate=1, activation=None, use_bias=True, kernel_initializer='glorot_uniform', "
                       "bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None, "
                       "activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs)",
    "DepthwiseConv1D": "(kernel_size, strides=1, padding='valid', depth_multiplier=1, data_format=None, "
                       "dilation_rate=1, activation=None, use_bias=True, depthwise_initializer='glorot_uniform', "
                       "bias_initializer='zeros', depthwise_regularizer=None, bias_regularizer=None, "
                       "activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs)",
    "DepthwiseConv2D": None,
    "SeparableConv1D": "(filters, kernel_size, strides=1, padding='valid', data_format=None, dilation_rate=1, "
                       "depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer='glorot_uniform', "
                       "pointwise_initializer='glorot_uniform', bias_initializer='zeros', depthwise_regularizer=None, "
                       "pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None, "
                       "depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs)",
    "SeparableConv2D": None,
    "MaxPooling3D": "(pool_size=2, strides=None, padding='valid', data_format=None, **kwargs)",
    "AveragePooling1D": "(pool_size, strides=None, padding='valid', data_format=None, **kwargs)",
    "AveragePooling2D": None, "AveragePooling3D": None,
    "GlobalMaxPooling3D": "(data_format=None, keepdims=False, **kwargs)",
    "GlobalAveragePooling3D": "(data_format=None, keepdims=False, **kwargs)",
    "Convolution1D": None, "Convolution2D": None, "Convolution3D": None, "Convolution1DTranspose": None,
    "Convolution2DTranspose": None, "Convolution3DTranspose": None, "SeparableConvolution1D": None,
    "SeparableConvolution2D": None, "MaxPool1D": None, "MaxPool2D": None, "MaxPool3D": None, "AvgPool1D": None,
    "AvgPool2D": None, "AvgPool3D": None, "GlobalMaxPool1D": None, "GlobalMaxPool2D": None, "GlobalMaxPool3D": None,
    "GlobalAvgPool1D": None, "GlobalAvgPool2D": None, "GlobalAvgPool3D": None,
}


def test_the_convolution_and_pooling_variants_are_exported(fs):
    for name, signature in CONVOLUTION_AND_POOLING.items():
        cls = getattr(fs.layers, name)
        assert name in fs.layers.__all__ and issubclass(cls, fs.layers.Layer) and cls.backend is fs.backend, name
        if signature is not None:
            assert str(inspect.signature(cls)) == signature, name
# -- issue 15: masking and recurrent layers (docs/SPEC.md "Masking", "Recurrent") ---------------------------------
RECURRENT_AND_MASKING_LAYERS = ["Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "Masking", "RNN", "SimpleRNN",
                                "SimpleRNNCell", "StackedRNNCells", "TimeDistributed"]


def test_the_recurrent_and_masking_layers_are_exported(fs):
    missing = [name for name in RECURRENT_AND_MASKING_LAYERS if name not in fs.layers.__all__]
    assert missing == [], f"fs.layers lacks {missing}"
    assert all(issubclass(getattr(fs.layers, name), fs.layers.Layer) for name in RECURRENT_AND_MASKING_LAYERS)


def test_the_optimizer_map_is_exported_bound_to_the_backend(fs):
    """`OptimizerMap` (docs/SPEC.md 7.8) is a mapping, not an Optimizer; it serializes with the backend's functions."""
    assert "OptimizerMap" in fs.optimizers.__all__ and fs.optimizers.OptimizerMap.backend is fs.backend
    assert not issubclass(fs.optimizers.OptimizerMap, fs.optimizers.Optimizer)


def test_the_dtype_policy_modules_import_by_name_and_are_the_namespace(fs):
    """`fs.dtype_policies`, `fs.mixed_precision` (docs/SPEC.md 3.4), and the policy classes at the top level."""
    for module in ("dtype_policies", "mixed_precision"):
        assert importlib.import_module(f"{fs.__name__}.{module}") is getattr(fs, module), module
    assert fs.DTypePolicy is fs.dtype_policies.DTypePolicy and fs.FloatDTypePolicy is fs.dtype_policies.FloatDTypePolicy
    assert sorted(fs.mixed_precision.__all__) == ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy",
                                                  "global_policy", "set_dtype_policy", "set_global_policy"]
    assert {"dtype_policy", "set_dtype_policy"} <= set(fs.config.__all__)


# -- the metric logs and data utilities of issue 16 (docs/SPEC.md 12.4-12.7) ------------------------------------------
LOGS_AND_DATA_NAMES = {
    "config": ["epsilon", "set_epsilon", "enable_interactive_logging", "disable_interactive_logging",
               "is_interactive_logging_enabled"],
    "utils": ["Progbar", "split_dataset", "timeseries_dataset_from_array", "enable_interactive_logging",
              "disable_interactive_logging", "is_interactive_logging_enabled"],
}


def assert_functions_exported(fs, names_by_module: dict) -> None:
    """Each name is in its module's __all__ and callable."""
    for module, names in names_by_module.items():
        namespace = getattr(fs, module)
        for name in names:
            assert name in namespace.__all__ and callable(getattr(namespace, name)), f"{module}.{name}"


def test_the_logging_and_data_utility_names_are_exported(fs):
    assert_functions_exported(fs, LOGS_AND_DATA_NAMES)


# -- the random affine layers (issue 15, docs/SPEC.md 8d.P2) ---------------------------------------------------------
AFFINE_SIGNATURES = {  # Keras 3.15's argument names and defaults
    "RandomRotation": "(factor, fill_mode='reflect', interpolation='bilinear', seed=None, fill_value=0.0, "
                      "data_format=None, **kwargs)",
    "RandomTranslation": "(height_factor, width_factor, fill_mode='reflect', interpolation='bilinear', seed=None, "
                         "fill_value=0.0, data_format=None, **kwargs)",
    "RandomZoom": "(height_factor, width_factor=None, fill_mode='reflect', interpolation='bilinear', seed=None, "
                  "fill_value=0.0, data_format=None, **kwargs)",
}


def test_the_random_affine_layers_are_exported_with_keras_arguments(fs):
    assert_layers_exported_with_signatures(fs, AFFINE_SIGNATURES)


# -- issue 15's lookup, hashing and text layers (docs/SPEC.md 8d.L) -----------------------------------------------
#: the lookup, hashing and text layers fitspec builds, each exported by every backend as Keras 3 exports it in
#: keras.layers
LOOKUP_LAYERS = ["HashedCrossing", "Hashing", "IntegerLookup", "StringLookup", "TextVectorization"]


def test_the_lookup_hashing_and_text_layers_are_exported(fs):
    for name in LOOKUP_LAYERS:
        assert name in fs.layers.__all__ and issubclass(getattr(fs.layers, name), fs.layers.Layer), name


# -- issue 15: ConvLSTM, recurrent dropout and stateful RNNs (docs/SPEC.md RNN.6-RNN.8) --------------------------------
CONV_LSTM_LAYERS = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


def test_the_conv_lstm_layers_are_exported_and_their_cell_is_not_as_in_keras(fs):
    for name in CONV_LSTM_LAYERS:
        cls = getattr(fs.layers, name)
        assert name in fs.layers.__all__ and issubclass(cls, fs.layers.Layer) and cls.backend is fs.backend, name
        assert list(inspect.signature(cls).parameters)[:2] == ["filters", "kernel_size"], name
    assert "ConvLSTMCell" not in fs.layers.__all__
    assert callable(fs.layers.LSTM(2, stateful=True).reset_states)


# -- the remaining saving and utils names of issues 15/16 (docs/SPEC.md 8c, 12.8-12.10) ---------------------------
REMNANT_NAMES = {
    "models": ["save_model"],
    "saving": ["save_model", "save_weights", "load_weights"],
    "utils": ["get_source_inputs", "is_keras_tensor", "standardize_dtype", "image_dataset_from_directory",
              "text_dataset_from_directory", "load_img", "img_to_array", "array_to_img", "save_img"],
}


def test_the_remaining_saving_and_utils_names_are_exported(fs):
    assert_functions_exported(fs, REMNANT_NAMES)


# -- adaptive pooling, Lambda, Wrapper, SpectralNormalization (docs/SPEC.md 8d.AP, 8d.LA, 8d.SN) ---------------------
ADAPTIVE_LAMBDA_SPECTRAL = {  # Keras 3.15's argument names and defaults
    **{f"Adaptive{kind}Pooling{rank}D": "(output_size, data_format=None, **kwargs)"
       for kind in ("Average", "Max") for rank in (1, 2, 3)},
    "Lambda": "(function, output_shape=None, mask=None, arguments=None, **kwargs)",
    "Wrapper": "(layer, **kwargs)",
    "SpectralNormalization": "(layer, power_iterations=1, **kwargs)",
}


def test_adaptive_pooling_lambda_wrapper_and_spectral_normalization_are_exported_with_keras_arguments(fs):
    assert_layers_exported_with_signatures(fs, ADAPTIVE_LAMBDA_SPECTRAL)


def test_the_fit_caps_are_exported_in_config(fs):
    """Keras 3's debugging caps (docs/SPEC.md 12.11)."""
    for name in ("max_epochs", "set_max_epochs", "max_steps_per_epoch", "set_max_steps_per_epoch"):
        assert name in fs.config.__all__ and callable(getattr(fs.config, name)), name


# -- the bound classes keep the core's hierarchy (docs/SPEC.md 1.) ---------------------------------------------------
def test_bound_classes_keep_keras_subclass_relations_and_aliases_are_one_class(fs):
    layers = fs.layers
    for child, parent in [("LSTM", "RNN"), ("GRU", "RNN"), ("SimpleRNN", "RNN"), ("SpectralNormalization", "Wrapper"),
                          ("TimeDistributed", "Wrapper")]:  # Keras 3's Bidirectional is a plain Layer
        assert issubclass(getattr(layers, child), getattr(layers, parent)), f"{child} is not a {parent}"
    assert isinstance(layers.LSTM(2), layers.RNN) and not issubclass(layers.Bidirectional, layers.Wrapper)
    assert layers.Convolution2D is layers.Conv2D and layers.MaxPool2D is layers.MaxPooling2D
    assert issubclass(fs.metrics.BinaryAccuracy, fs.metrics.Metric) and issubclass(fs.losses.Huber, fs.losses.Loss)

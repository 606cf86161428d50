"""Adaptive pooling (bins against a numpy formula, shapes, configs), Lambda (arguments, mask and training, output
shapes, configs that name functions and never hold code) and SpectralNormalization with its Wrapper base (the power
iteration against numpy's largest singular value, u updated only in training, the kernel kept), on every backend
(docs/SPEC.md 8d.AP, 8d.LA, 8d.SN)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conformance.test_attention import once
from conformance.test_layers_merging_reshaping_noise_normalization import numpy_of, tolerance


# -- adaptive pooling ---------------------------------------------------------------------------------------------
def adaptive_pool_reference(x, output_size, reduce):
    """Bin i of an axis of length L cut into n: [floor(i·L/n), ceil((i+1)·L/n)); channels last."""
    spatial = x.shape[1:-1]
    out = np.empty((x.shape[0], *output_size, x.shape[-1]))
    for index in np.ndindex(*output_size):
        window = tuple(slice(math.floor(i * n / o), math.ceil((i + 1) * n / o))
                       for i, n, o in zip(index, spatial, output_size))
        out[(slice(None), *index)] = reduce(x[(slice(None), *window)], axis=tuple(range(1, len(spatial) + 1)))
    return out


@pytest.mark.parametrize(("rank", "shape", "output_size"), [
    (1, (2, 10, 3), (4,)), (1, (2, 3, 2), (5,)), (2, (2, 7, 9, 2), (3, 4)), (2, (1, 4, 4, 1), (4, 4)),
    (3, (1, 5, 3, 4, 2), (2, 3, 3)),
])
@pytest.mark.parametrize("kind", ["Max", "Average"])
def test_adaptive_pooling_reduces_each_bin(fs, precision, rank, shape, output_size, kind):
    x = np.random.default_rng(rank).normal(size=shape)
    reduce = np.max if kind == "Max" else np.mean
    expected = adaptive_pool_reference(x, output_size, reduce)
    layer = getattr(fs.layers, f"Adaptive{kind}Pooling{rank}D")(output_size)
    np.testing.assert_allclose(numpy_of(fs, layer(x)), expected, **tolerance(precision))
    first = getattr(fs.layers, f"Adaptive{kind}Pooling{rank}D")(output_size, data_format="channels_first")
    moved = np.moveaxis(x, -1, 1)
    np.testing.assert_allclose(numpy_of(fs, first(moved)), np.moveaxis(expected, -1, 1), **tolerance(precision))


def test_adaptive_pooling_shapes_configs_and_bad_arguments(fs, precision):
    once(precision)
    layer = fs.layers.AdaptiveAveragePooling2D(3, data_format="channels_first")
    assert layer.output_size == (3, 3)
    assert tuple(layer.compute_output_shape((None, 4, 8, 9))) == (None, 4, 3, 3)
    symbolic = fs.layers.AdaptiveMaxPooling1D(2)(fs.Input(shape=(None, 5)))
    assert tuple(symbolic.shape) == (None, 2, 5)
    config = layer.get_config()
    assert config["output_size"] == [3, 3] and config["data_format"] == "channels_first"
    assert fs.layers.AdaptiveAveragePooling2D.from_config(config).get_config() == config
    for make, argument in ((lambda: fs.layers.AdaptiveMaxPooling2D((2, 2, 2)), "output_size"),
                           (lambda: fs.layers.AdaptiveMaxPooling3D(0), "output_size"),
                           (lambda: fs.layers.AdaptiveAveragePooling1D(2, data_format="nhwc"), "data_format")):
        with pytest.raises(ValueError, match=argument):
            make()
    with pytest.raises(ValueError, match="inputs"):
        fs.layers.AdaptiveMaxPooling2D(2)(np.zeros((2, 4, 3)))


# -- Lambda -----------------------------------------------------------------------------------------------------------
def _registered(fs):
    @fs.saving.register_keras_serializable(package="test_lambda")
    def affine(x, factor=1.0, shift=0.0):
        return x * factor + shift

    @fs.saving.register_keras_serializable(package="test_lambda")
    def sees_mask_and_training(x, mask=None, training=None):
        kept = 1.0 if mask is None else fs.ops.cast(fs.ops.expand_dims(mask, -1), fs.ops.dtype(x))
        return x * kept * (2.0 if training else 1.0)

    @fs.saving.register_keras_serializable(package="test_lambda")
    def all_but_first_step(inputs, mask=None):
        return mask[:, 1:]

    @fs.saving.register_keras_serializable(package="test_lambda")
    def drop_first_step(x):
        return x[:, 1:]

    return affine, sees_mask_and_training, all_but_first_step, drop_first_step


def test_lambda_calls_its_function_with_arguments_mask_and_training(fs, precision):
    affine, sees, mask_of, drop = _registered(fs)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    layer = fs.layers.Lambda(affine, arguments={"factor": 3.0, "shift": -1.0})
    np.testing.assert_allclose(numpy_of(fs, layer(x)), 3.0 * x - 1.0, **tolerance(precision))
    ids = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    embedded = fs.layers.Embedding(4, 4, mask_zero=True)(ids)
    values = numpy_of(fs, embedded)
    with pytest.warns(UserWarning, match="does not support masking"):  # no `mask=`: Keras's warning, mask dropped
        seen = fs.layers.Lambda(sees)(embedded, training=True)
    np.testing.assert_allclose(numpy_of(fs, seen), 2.0 * values * (ids != 0)[..., None], **tolerance(precision))
    from fitspec.masking import get_mask

    dropped = fs.layers.Lambda(drop, mask=mask_of)(embedded)
    np.testing.assert_array_equal(numpy_of(fs, get_mask(dropped)), (ids != 0)[:, 1:])


def test_lambda_output_shapes_a_shape_a_function_or_inferred(fs, precision):
    once(precision)
    affine, _, _, drop = _registered(fs)
    assert tuple(fs.layers.Lambda(drop, output_shape=(2, 4)).compute_output_shape((None, 3, 4))) == (None, 2, 4)
    assert tuple(fs.layers.Lambda(drop, output_shape=lambda s: (s[0], s[1] - 1, s[2])).compute_output_shape(
        (5, 3, 4))) == (5, 2, 4)
    assert tuple(fs.layers.Lambda(drop).compute_output_shape((None, 3, 4))) == (None, 2, 4)
    assert tuple(fs.layers.Lambda(drop)(fs.Input(shape=(3, 4))).shape) == (None, 2, 4)


def test_lambda_config_names_registered_functions_and_never_holds_code(fs, precision, tmp_path):
    once(precision)
    affine, _, mask_of, drop = _registered(fs)
    layer = fs.layers.Lambda(drop, output_shape=(2, 4), mask=mask_of, arguments={"unused": 1})
    config = layer.get_config()
    assert config["function"]["config"] == "test_lambda>drop_first_step"
    assert config["mask"]["config"] == "test_lambda>all_but_first_step"
    rebuilt = fs.layers.Lambda.from_config(config)
    assert rebuilt.function is drop and rebuilt.mask is mask_of and rebuilt.compute_output_shape((1, 3, 4)) == (1, 2, 4)
    inputs = fs.Input(shape=(4,))
    model = fs.Model(inputs, fs.layers.Lambda(affine, arguments={"factor": 2.0})(fs.layers.Dense(3)(inputs)))
    x = np.random.default_rng(1).normal(size=(2, 4))
    model.save(tmp_path / "lambda.keras")
    loaded = fs.models.load_model(tmp_path / "lambda.keras")
    np.testing.assert_allclose(numpy_of(fs, loaded(x)), numpy_of(fs, model(x)))

    def unregistered(x):
        return x

    for function in (unregistered, lambda x: x):
        with pytest.raises(ValueError, match="function.*register_keras_serializable"):
            fs.layers.Lambda(function).get_config()
    with pytest.raises(ValueError, match="mask.*register_keras_serializable"):
        fs.layers.Lambda(affine, mask=lambda inputs, mask: mask).get_config()
    keras_lambda_config = {**config, "function": {"class_name": "__lambda__", "config": {
        "code": "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARcAUwApAk7pAQAAAKkAKQHaAXhyAgAAAHICAAAA+gDaCDxsYW1iZGE+",
        "defaults": None, "closure": None}}}
    with pytest.raises(ValueError, match="function.*never loads code"):
        fs.layers.Lambda.from_config(keras_lambda_config)
    with pytest.raises(ValueError, match="function"):
        fs.layers.Lambda("not callable")


# -- Wrapper and SpectralNormalization --------------------------------------------------------------------------------
def spectral_reference(kernel, u, iterations, training=True):
    """(W / sigma, new u) by Keras's power iteration in numpy; normalize(x) = x · min(1/‖x‖, 1e7)."""
    weights = kernel.reshape(-1, kernel.shape[-1])

    def normalize(x):
        return x * min(1.0 / np.sqrt(np.sum(x * x)), 1e7)

    if training:
        for _ in range(iterations):
            v = normalize(u @ weights.T)
            u = normalize(v @ weights)
    else:
        v = normalize(u @ weights.T)
    sigma = (v @ weights @ u.T).item()
    return kernel / sigma, u


def test_spectral_normalization_is_the_power_iteration_and_updates_u_only_in_training(fs, precision):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 5))
    layer = fs.layers.SpectralNormalization(fs.layers.Dense(3), power_iterations=3)
    layer(x)
    assert [v.path.split("/")[-1] for v in layer.weights] == ["kernel", "vector_u", "bias"]
    assert [v.trainable for v in layer.weights] == [True, False, True]
    kernel, u, bias = rng.normal(size=(5, 3)), rng.normal(size=(1, 3)), rng.normal(size=3)
    layer.set_weights([kernel, u, bias])
    normalized, new_u = spectral_reference(kernel, u, 3)
    np.testing.assert_allclose(numpy_of(fs, layer(x, training=True)), x @ normalized + bias, **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, layer.vector_u.value), new_u, **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, layer.layer.kernel.value), kernel, **tolerance(precision))
    inference, _ = spectral_reference(kernel, new_u, 3, training=False)
    np.testing.assert_allclose(numpy_of(fs, layer(x)), x @ inference + bias, **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, layer.vector_u.value), new_u, **tolerance(precision))
    for _ in range(30):  # the power iteration converges to the largest singular value
        layer(x, training=True)
    largest = np.linalg.svd(kernel, compute_uv=False)[0]
    np.testing.assert_allclose(numpy_of(fs, layer(x)), x @ (kernel / largest) + bias, rtol=1e-5, atol=1e-6)


def test_spectral_normalization_wraps_conv_and_embedding_and_leaves_a_zero_kernel(fs, precision):
    once(precision)
    rng = np.random.default_rng(3)
    conv = fs.layers.SpectralNormalization(fs.layers.Conv2D(2, 2, use_bias=False))
    images = rng.normal(size=(1, 3, 3, 2))
    conv(images)
    kernel, u = rng.normal(size=(2, 2, 2, 2)), rng.normal(size=(1, 2))
    conv.set_weights([kernel, u])
    normalized, _ = spectral_reference(kernel, u, 1)
    plain = fs.layers.Conv2D(2, 2, use_bias=False)
    plain(images)
    plain.set_weights([normalized])
    np.testing.assert_allclose(numpy_of(fs, conv(images, training=True)), numpy_of(fs, plain(images)), rtol=1e-10)
    embedding = fs.layers.SpectralNormalization(fs.layers.Embedding(5, 3))
    ids = np.array([[1, 4]], "int32")
    assert tuple(numpy_of(fs, embedding(ids)).shape) == (1, 2, 3)
    zero = fs.layers.SpectralNormalization(fs.layers.Dense(2, kernel_initializer="zeros"))
    zero(np.ones((1, 3)))
    before = numpy_of(fs, zero.vector_u.value)
    assert np.all(np.isfinite(numpy_of(fs, zero(np.ones((1, 3)), training=True))))
    np.testing.assert_array_equal(numpy_of(fs, zero.vector_u.value), before)


def test_spectral_normalization_config_saving_and_bad_arguments(fs, precision, tmp_path):
    once(precision)
    from fitspec.layers.wrapper import Wrapper

    assert issubclass(fs.layers.SpectralNormalization, Wrapper) and issubclass(fs.layers.Wrapper, Wrapper)

    class Doubled(fs.layers.Wrapper):  # Keras's idiom: a user wrapper calls self.layer
        def call(self, x):
            return self.layer(x) * 2.0

    doubled = Doubled(fs.layers.Dense(2, kernel_initializer="ones"))
    np.testing.assert_allclose(numpy_of(fs, doubled(np.ones((1, 3)))), [[6.0, 6.0]])
    assert doubled.get_config()["layer"]["config"]["units"] == 2
    layer = fs.layers.SpectralNormalization(fs.layers.Dense(3, name="inner"), power_iterations=2)
    config = layer.get_config()
    assert config["power_iterations"] == 2 and config["layer"]["class_name"] == "Dense"
    assert fs.layers.SpectralNormalization.from_config(config).get_config() == config
    inputs = fs.Input(shape=(4,))
    model = fs.Model(inputs, layer(inputs))
    x = np.random.default_rng(5).normal(size=(2, 4))
    model(x, training=True)
    model.save(tmp_path / "spectral.keras")
    loaded = fs.models.load_model(tmp_path / "spectral.keras")
    np.testing.assert_allclose(numpy_of(fs, loaded(x)), numpy_of(fs, model(x)))
    for make, argument in ((lambda: fs.layers.SpectralNormalization(fs.layers.Dense(2), power_iterations=0),
                            "power_iterations"),
                           (lambda: fs.layers.SpectralNormalization("dense"), "layer"),
                           (lambda: fs.layers.Wrapper(3), "layer")):
        with pytest.raises(ValueError, match=argument):
            make()
    with pytest.raises(ValueError, match="kernel"):
        fs.layers.SpectralNormalization(fs.layers.ReLU())(np.ones((1, 2)))

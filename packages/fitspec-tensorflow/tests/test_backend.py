"""What is private to the TensorFlow backend: its ops, dtype promotion, floatx and devices."""

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs
from fitspec.ops_protocol import missing_ops


@pytest.fixture
def float64():
    fs.config.set_floatx("float64")
    yield
    fs.config.set_floatx("float32")


def test_every_protocol_op_is_implemented():
    assert missing_ops(fs.ops) == []


def test_float32_is_the_default_and_float64_is_available(float64):
    assert fs.backend.default_floatx == "float32"
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    assert model.get_weights()[0].dtype == np.float64
    assert model.predict(np.ones((1, 2), dtype="float32"), verbose=0).dtype == np.float64


def test_binary_ops_promote_like_keras_ops():
    f32, f64 = tf.ones((2,), "float32"), tf.ones((2,), "float64")
    i32 = tf.ones((2,), "int32")
    assert fs.ops.add(f32, f64).dtype == tf.float64
    assert fs.ops.add(i32, f32).dtype == tf.float32
    assert fs.ops.multiply(f32, 2).dtype == tf.float32  # a Python scalar takes the tensor's dtype
    assert fs.ops.multiply(i32, 2.5).dtype == tf.float32  # a Python float with an int tensor gives floatx
    assert fs.ops.mean(i32).dtype == tf.float32
    np.testing.assert_allclose(fs.ops.where(np.array([True, False]), f64, 0.0).numpy(), [1.0, 0.0])


def test_python_scalars_keep_full_precision_in_float64(float64):
    x = tf.constant([-1.0], "float64")
    assert fs.ops.leaky_relu(x, negative_slope=0.2).numpy()[0] == -0.2
    assert fs.ops.cast(0.1, "float64").numpy() == 0.1


def test_take_along_axis_matches_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    rng = np.random.default_rng(0)
    for axis, shape in ((2, (2, 3, 2)), (1, (2, 2, 4)), (0, (1, 3, 4)), (-1, (2, 3, 1))):
        indices = rng.integers(0, x.shape[axis], size=shape)
        expected = np.take_along_axis(x, indices, axis=axis)
        np.testing.assert_array_equal(fs.ops.take_along_axis(x, indices, axis=axis).numpy(), expected)


def test_matmul_of_vectors_follows_numpy():
    a, m = np.arange(3.0), np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(fs.ops.matmul(a, m).numpy(), a @ m)
    np.testing.assert_allclose(fs.ops.matmul(m.T, a).numpy(), m.T @ a)


def test_cpu_is_always_available_and_an_absent_device_is_refused():
    assert "cpu" in fs.backend.available_devices()
    if "gpu" not in fs.backend.available_devices():
        with pytest.raises(ValueError, match=r"use_device: argument `kind` expected one of \['cpu'\]; received 'gpu'"):
            fs.backend.use_device("gpu")


def test_use_device_cpu_places_new_variables_on_the_cpu():
    before = fs.backend._device
    try:
        fs.backend.use_device("cpu")
        variable = fs.Variable(np.zeros((2,), "float32"))
        assert "CPU" in variable.tf_variable.device
    finally:
        fs.backend._device = before


def test_the_package_re_exports_every_name_the_core_binds():
    api = fs._api.api
    bound = {name for name in vars(api) if not name.startswith("_") and name != "Layer"}
    assert bound - set(fs.__all__) == set()
    assert all(getattr(fs, name) is getattr(api, name) for name in bound)

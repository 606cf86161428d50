"""The backend object: ops protocol, Variables, floatx and x64, devices."""

import subprocess
import sys

import jax
import numpy as np
import pytest

from fitspec.ops_protocol import missing_ops


def test_ops_protocol_is_complete(fs):
    assert missing_ops(fs.ops) == []


def test_importing_leaves_x64_off():
    code = "import jax, fitspec_jax; print(jax.config.read('jax_enable_x64'), fitspec_jax.config.floatx())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "float32"]


def test_set_floatx_float64_turns_x64_on_and_float32_turns_it_back_off(fs):
    fs.config.set_floatx("float64")
    assert jax.config.read("jax_enable_x64")
    assert fs.ops.zeros((2,)).dtype == np.float64
    fs.config.set_floatx("float32")
    assert not jax.config.read("jax_enable_x64")
    assert fs.ops.zeros((2,)).dtype == np.float32


def test_float64_model_trains_in_float64(fs, data, dense_model):
    fs.config.set_floatx("float64")
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(*data, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.trainable_variables[0].value.dtype == np.float64


def test_int64_variable_holds_int32_without_x64_and_reads_back_as_int64(fs):
    v = fs.Variable(np.asarray(3, dtype="int64"), trainable=False)
    assert v.dtype == "int64"
    assert v.value.dtype == np.int32
    v.assign(v.value + 1)
    assert v.numpy().dtype == np.int64 and int(v.numpy()) == 4


def test_optimizer_iterations_count_steps_without_x64(fs, data, dense_model):
    model = dense_model()
    model.compile(optimizer="adam", loss="mse", steps_per_execution=3)
    model.fit(*data, batch_size=10, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 20


def test_value_and_grad_is_jax_value_and_grad(fs):
    grad_fn = fs.backend.value_and_grad(lambda w, x: (jax.numpy.sum(w * x), x), has_aux=True)
    (value, aux), grads = grad_fn(jax.numpy.ones(3), 2.0)
    assert float(value) == 6.0 and float(aux) == 2.0
    np.testing.assert_array_equal(np.asarray(grads), [2.0, 2.0, 2.0])


def test_cpu_is_always_available_and_an_absent_device_is_refused(fs):
    assert "cpu" in fs.backend.available_devices()
    fs.backend.use_device("cpu")
    if "gpu" not in fs.backend.available_devices():
        with pytest.raises(ValueError, match=r"argument `kind` expected one of \['cpu'\]; received 'gpu'"):
            fs.backend.use_device("gpu")


def test_convert_batch_casts_floats_to_floatx_and_ints_to_jax_width(fs):
    x, y = fs.backend.convert_batch(None, (np.ones((2, 3)), np.arange(2, dtype="int64")))
    assert x.dtype == np.float32 and y.dtype == np.int32


def test_assigning_a_tracer_outside_a_stateless_scope_is_refused(fs):
    v = fs.Variable(np.zeros(2, dtype="float32"))

    @jax.jit
    def leak(x):
        v.assign(x)
        return x

    with pytest.raises(RuntimeError, match="assigned a traced value"):
        leak(jax.numpy.ones(2))


def test_clip_passes_no_gradient_at_the_bounds_like_the_reference(fs):
    grad = jax.grad(lambda x: fs.ops.sum(fs.ops.clip(x, 0.0, 1.0)))(jax.numpy.array([0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(grad), [0.0, 1.0, 0.0, 0.0])

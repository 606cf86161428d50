"""What is private to the torch backend: its ops against numpy, dtype rules, floatx, devices and batch conversion."""

import numpy as np
import pytest
import torch

import fitspec_torch as fs
from fitspec.ops_protocol import missing_ops

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(3, 4))
POS = np.abs(A) + 0.1
HALF = np.where(B > 0, B, 0.0)  # a divisor that is zero in about half the entries
I = RNG.integers(0, 4, size=(3, 1))

# op name -> (fitspec_torch call, numpy reference)
CASES = {
    "add": (lambda o: o.add(A, B), A + B),
    "subtract": (lambda o: o.subtract(A, 2.0), A - 2.0),
    "multiply": (lambda o: o.multiply(3, A), 3 * A),
    "divide": (lambda o: o.divide(A, POS), A / POS),
    "divide_no_nan": (lambda o: o.divide_no_nan(A, HALF), np.where(HALF != 0, A / np.where(HALF != 0, HALF, 1), 0)),
    "negative": (lambda o: o.negative(A), -A),
    "power": (lambda o: o.power(POS, 1.5), POS**1.5),
    "square": (lambda o: o.square(A), A**2),
    "sqrt": (lambda o: o.sqrt(POS), np.sqrt(POS)),
    "abs": (lambda o: o.abs(A), np.abs(A)),
    "sign": (lambda o: o.sign(A), np.sign(A)),
    "exp": (lambda o: o.exp(A), np.exp(A)),
    "log": (lambda o: o.log(POS), np.log(POS)),
    "log1p": (lambda o: o.log1p(POS), np.log1p(POS)),
    "maximum": (lambda o: o.maximum(A, 0.0), np.maximum(A, 0.0)),
    "minimum": (lambda o: o.minimum(A, B), np.minimum(A, B)),
    "clip": (lambda o: o.clip(A, -0.5, 0.5), np.clip(A, -0.5, 0.5)),
    "where": (lambda o: o.where(A > 0, A, 0.0), np.where(A > 0, A, 0.0)),
    "equal": (lambda o: o.equal(A, A[0]), A == A[0]),
    "not_equal": (lambda o: o.not_equal(I, 2), I != 2),
    "greater": (lambda o: o.greater(A, B), A > B),
    "greater_equal": (lambda o: o.greater_equal(A, 0.1), A >= 0.1),
    "less": (lambda o: o.less(A, B), A < B),
    "less_equal": (lambda o: o.less_equal(A, B), A <= B),
    "logical_and": (lambda o: o.logical_and(A > 0, B > 0), (A > 0) & (B > 0)),
    "logical_or": (lambda o: o.logical_or(A > 0, B > 0), (A > 0) | (B > 0)),
    "logical_not": (lambda o: o.logical_not(A > 0), ~(A > 0)),
    "isnan": (lambda o: o.isnan(np.array([1.0, np.nan])), [False, True]),
    "floor": (lambda o: o.floor(A), np.floor(A)),
    "sum": (lambda o: o.sum(A, axis=(0, 1), keepdims=True), A.sum(axis=(0, 1), keepdims=True)),
    "mean": (lambda o: o.mean(A, axis=-1), A.mean(axis=-1)),
    "max": (lambda o: o.max(A, axis=0), A.max(axis=0)),
    "min": (lambda o: o.min(A), A.min()),
    "prod": (lambda o: o.prod(POS, axis=[0, 1]), POS.prod(axis=(0, 1))),
    "argmax": (lambda o: o.argmax(A, axis=-1), A.argmax(axis=-1)),
    "matmul": (lambda o: o.matmul(A, B.T), A @ B.T),
    "one_hot": (lambda o: o.one_hot(np.array([0, 2, 5, -1]), 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]),
    "take_along_axis": (lambda o: o.take_along_axis(A, I, axis=1), np.take_along_axis(A, I, axis=1)),
    "take": (lambda o: o.take(A, np.array([[0, -1], [2, 1]]), axis=1), np.take(A, [[0, -1], [2, 1]], axis=1)),
    "logsumexp": (lambda o: o.logsumexp(A, axis=1), np.log(np.exp(A).sum(axis=1))),
    "sigmoid": (lambda o: o.sigmoid(A), 1 / (1 + np.exp(-A))),
    "relu": (lambda o: o.relu(A), np.maximum(A, 0)),
    "leaky_relu": (lambda o: o.leaky_relu(A, negative_slope=0.1), np.where(A >= 0, A, 0.1 * A)),
    "tanh": (lambda o: o.tanh(A), np.tanh(A)),
    "softmax": (lambda o: o.softmax(A, axis=0), np.exp(A) / np.exp(A).sum(axis=0)),
    "log_softmax": (lambda o: o.log_softmax(A), A - np.log(np.exp(A).sum(axis=-1, keepdims=True))),
    "log_sigmoid": (lambda o: o.log_sigmoid(A), -np.log1p(np.exp(-A))),
    "reshape": (lambda o: o.reshape(A, (4, 3)), A.reshape(4, 3)),
    "expand_dims": (lambda o: o.expand_dims(A, 1), A[:, None]),
    "squeeze": (lambda o: o.squeeze(I, -1), I[:, 0]),
    "transpose": (lambda o: o.transpose(A), A.T),
    "concatenate": (lambda o: o.concatenate([A, B], axis=1), np.concatenate([A, B], axis=1)),
    "stack": (lambda o: o.stack([A, B], axis=-1), np.stack([A, B], axis=-1)),
    "broadcast_to": (lambda o: o.broadcast_to(A[0], (2, 4)), np.broadcast_to(A[0], (2, 4))),
    "zeros": (lambda o: o.zeros((2, 3)), np.zeros((2, 3))),
    "ones": (lambda o: o.ones(3), np.ones(3)),
    "zeros_like": (lambda o: o.zeros_like(A), np.zeros_like(A)),
    "ones_like": (lambda o: o.ones_like(I), np.ones_like(I)),
    "full": (lambda o: o.full((2,), 0.5), np.full((2,), 0.5)),
    "arange": (lambda o: o.arange(1, 7, 2), np.arange(1, 7, 2)),
    "stop_gradient": (lambda o: o.stop_gradient(A), A),
    "convert_to_tensor": (lambda o: o.convert_to_tensor(A), A),
    "cast": (lambda o: o.cast(A, "int32"), A.astype("int32")),
}


def test_every_protocol_op_is_implemented():
    assert missing_ops(fs.ops) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_numpy(name):
    call, expected = CASES[name]
    out = call(fs.ops)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(fs.ops.convert_to_numpy(out), np.asarray(expected), rtol=1e-12, atol=1e-12)


def test_numpy_float64_inputs_keep_their_dtype_and_python_floats_take_floatx():
    assert fs.ops.convert_to_tensor(A).dtype == torch.float64
    assert fs.ops.convert_to_tensor(0.5).dtype == torch.float32
    assert fs.ops.convert_to_tensor(A, dtype="float32").dtype == torch.float32


def test_python_scalars_are_weakly_typed():
    f32, i64 = torch.ones(2), torch.ones(2, dtype=torch.int64)
    assert fs.ops.multiply(f32, 2.5).dtype == torch.float32
    assert fs.ops.multiply(i64, 2).dtype == torch.int64
    assert fs.ops.multiply(i64, 2.5).dtype == torch.float32  # floatx
    assert fs.ops.maximum(f32, 0).dtype == torch.float32
    assert fs.ops.divide(i64, 2).dtype == torch.float32
    assert fs.ops.mean(i64).dtype == torch.float32


def test_reductions_over_no_axis_return_the_input_as_numpy_does():
    x = torch.arange(6.0).reshape(2, 3)
    assert torch.equal(fs.ops.sum(x, axis=()), x)
    assert torch.equal(fs.ops.mean(x, axis=()), x)


def test_squeeze_of_an_axis_longer_than_one_names_it():
    with pytest.raises(ValueError, match=r"squeeze: argument `axis` expected axes of size 1; received axis=1"):
        fs.ops.squeeze(torch.ones(2, 3), axis=1)


def test_divide_no_nan_has_a_finite_gradient_where_the_divisor_is_zero():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([0.0, 4.0], requires_grad=True)
    fs.ops.divide_no_nan(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.25])
    np.testing.assert_allclose(y.grad.numpy(), [0.0, -0.125])


def test_leaky_relu_has_gradient_one_at_zero_as_the_reference():
    x = torch.zeros(1, requires_grad=True)
    fs.ops.leaky_relu(x).sum().backward()
    assert x.grad.item() == 1.0


def test_float32_is_the_default_and_float64_is_available():
    assert fs.config.floatx() == "float32"
    fs.config.set_floatx("float64")
    try:
        model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
        assert model.get_weights()[0].dtype == np.float64
        assert model.predict(np.ones((1, 2), dtype="float32"), verbose=0).dtype == np.float64
    finally:
        fs.config.set_floatx("float32")


def test_set_floatx_names_the_accepted_dtypes():
    with pytest.raises(ValueError, match=r"set_floatx: argument `dtype` expected one of .*; received 'float128'"):
        fs.config.set_floatx("float128")


def test_cpu_is_always_available_and_an_absent_gpu_is_refused():
    assert "cpu" in fs.backend.available_devices()
    if "gpu" not in fs.backend.available_devices():
        with pytest.raises(ValueError, match=r"use_device: argument `kind` expected one of \['cpu'\]"):
            fs.backend.use_device("gpu")
    with pytest.raises(ValueError, match=r"use_device: argument `kind` expected .*; received 'tpu'"):
        fs.backend.use_device("tpu")


def test_convert_batch_casts_floats_to_the_model_dtype_and_keeps_integers():
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    x, y = fs.backend.convert_batch(model, (np.ones((3, 2)), np.arange(3)))
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    model.double()
    x, _ = fs.backend.convert_batch(model, (torch.ones(3, 2, dtype=torch.float16), np.arange(3)))
    assert x.dtype == torch.float64


def test_logs_of_scalar_tensors_come_back_as_floats():
    from fitspec_torch.backend import pull_logs

    logs = pull_logs({"loss": torch.tensor(0.5), "acc": torch.tensor([1.0])})
    assert logs == {"loss": 0.5, "acc": 1.0}
    assert pull_logs({"bad": torch.ones(2)})["bad"].shape == (2,)  # left for the core to reject, by name


def test_variable_writes_outside_a_scope_are_in_place_and_keep_the_parameter():
    v = fs.Variable(np.zeros((2, 3), "float32"))
    parameter = v.value
    v.assign_add(torch.ones(2, 3))
    v.assign_sub(0.5)
    v.assign_add(np.full((2, 3), 2.0))  # numpy goes through the core's assign
    assert v.value is parameter
    np.testing.assert_array_equal(v.numpy(), np.full((2, 3), 2.5))
    with pytest.raises(ValueError, match=r"assign: argument `value` expected shape \(2, 3\)"):
        v.assign(torch.ones(3, 2))

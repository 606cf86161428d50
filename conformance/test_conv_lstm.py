"""ConvLSTM1D/2D/3D on every backend: the LSTM recurrence over convolutions (against a step-by-step reference
built on `ops.conv`), channels_first as the transpose of channels_last, shapes, weights as Keras lays them out,
stateful calls, configs and bad arguments (docs/SPEC.md RNN.8)."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.test_recurrent_options import numpy_of, sigmoid, tolerance


def reference(fs, weights, x, filters, strides, padding, dilation_rate):
    """The recurrence step by step (channels_last): z = conv(x_t, kernel) + conv(h, recurrent_kernel, same) + bias,
    gates (i, f, c, o) along the channels; Keras's ConvLSTM formulas."""
    kernel, recurrent, bias = weights

    def conv(v, k, **kwargs):
        return numpy_of(fs, fs.ops.conv(fs.ops.convert_to_tensor(v), fs.ops.convert_to_tensor(k), **kwargs))

    h = c = None
    outputs = []
    for t in range(x.shape[1]):
        z = conv(x[:, t], kernel, strides=strides, padding=padding, dilation_rate=dilation_rate) + bias
        if h is None:
            h = c = np.zeros(z.shape[:-1] + (filters,))
        z = z + conv(h, recurrent, strides=1, padding="same")
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


#: (rank, input shape (batch, time, *spatial, channels), arguments)
CASES = [
    (1, (2, 3, 7, 2), {"kernel_size": 3, "padding": "same"}),
    (2, (2, 3, 5, 6, 2), {"kernel_size": (2, 3), "strides": (2, 1)}),
    (3, (1, 2, 4, 3, 4, 1), {"kernel_size": 2, "dilation_rate": 2, "padding": "same"}),
]


@pytest.mark.parametrize("rank, shape, kwargs", CASES)
def test_conv_lstm_runs_the_lstm_recurrence_over_convolutions(fs, precision, rank, shape, kwargs):
    if precision != "float64":
        pytest.skip("a formula check: float64 only (float32 is checked by the golden case), which keeps JAX's eager "
                    "compiles few")
    rng = np.random.default_rng(rank)
    x = rng.normal(size=shape)
    layer = getattr(fs.layers, f"ConvLSTM{rank}D")(2, return_sequences=True, return_state=True, **kwargs)
    layer.build(shape)
    weights = [rng.normal(scale=0.4, size=w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    sequence, h, c = layer(x)
    arguments = {"strides": kwargs.get("strides", 1), "padding": kwargs.get("padding", "valid"),
                 "dilation_rate": kwargs.get("dilation_rate", 1)}
    expected = reference(fs, weights, x, 2, **arguments)
    for got, want in zip((sequence, h, c), expected):
        np.testing.assert_allclose(numpy_of(fs, got), want, **tolerance(precision))


def test_channels_first_is_channels_last_transposed_and_weights_are_keras_shaped(fs, precision):
    x = np.random.default_rng(7).normal(size=(2, 3, 5, 4, 2))
    last = fs.layers.ConvLSTM2D(3, 2, return_sequences=True, go_backwards=True)
    first = fs.layers.ConvLSTM2D(3, 2, return_sequences=True, go_backwards=True, data_format="channels_first")
    out = last(x)
    first.build(np.moveaxis(x, -1, 2).shape)
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(numpy_of(fs, first(np.moveaxis(x, -1, 2))), np.moveaxis(numpy_of(fs, out), -1, 2),
                               **tolerance(precision))
    assert [w.shape for w in last.get_weights()] == [(2, 2, 2, 12), (2, 2, 3, 12), (12,)]
    np.testing.assert_array_equal(last.get_weights()[2], np.repeat([0.0, 1.0, 0.0, 0.0], 3))  # unit_forget_bias
    assert fs.layers.ConvLSTM1D(2, 3, strides=2)(fs.Input(shape=(4, 9, 3))).shape == (None, 4, 2)
    assert fs.layers.ConvLSTM3D(2, 2, return_sequences=True)(fs.Input(shape=(2, 3, 3, 3, 1))).shape == (
        None, 2, 2, 2, 2, 2)


def test_a_stateful_conv_lstm_continues_and_its_config_rebuilds_it(fs, precision):
    x = np.random.default_rng(8).normal(size=(2, 2, 6, 2))
    layer = fs.layers.ConvLSTM1D(2, 3, padding="same", stateful=True, dropout=0.2, seed=3)
    first = numpy_of(fs, layer(x))
    assert not np.allclose(numpy_of(fs, layer(x)), first)
    layer.reset_states()
    np.testing.assert_allclose(numpy_of(fs, layer(x)), first, **tolerance(precision))
    rebuilt = fs.layers.ConvLSTM1D.from_config(layer.get_config())
    rebuilt.build(x.shape)
    rebuilt.set_weights(layer.get_weights())
    layer.reset_states()
    np.testing.assert_allclose(numpy_of(fs, rebuilt(x)), numpy_of(fs, layer(x)), **tolerance(precision))
    assert rebuilt.get_config() == layer.get_config()


@pytest.mark.parametrize("make, argument", [
    (lambda fs: fs.layers.ConvLSTM2D(0, 3), "filters"),
    (lambda fs: fs.layers.ConvLSTM1D(2, 3, padding="causal"), "padding"),
    (lambda fs: fs.layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda fs: fs.layers.ConvLSTM2D(2, (3, 3, 3)), "kernel_size"),
    (lambda fs: fs.layers.ConvLSTM3D(2, 2, recurrent_dropout=1.5), "recurrent_dropout"),
    (lambda fs: fs.layers.ConvLSTM2D(2, 2)(np.zeros((1, 2, 4, 3))), "inputs"),
])
def test_bad_conv_lstm_arguments_are_refused_by_name(fs, make, argument):
    with pytest.raises(ValueError, match=argument):
        make(fs)

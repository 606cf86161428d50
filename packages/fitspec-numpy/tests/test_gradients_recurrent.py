"""The recurrent cells' and layers' gradients agree with central finite differences (float64), masked sequences
included (docs/SPEC.md "Recurrent")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import central_differences

import fitspec_numpy as fs

#: name -> a recurrent layer over sequences of 3 features
LAYERS = {
    "simple_rnn": lambda: fs.layers.SimpleRNN(3, return_sequences=True),
    "lstm": lambda: fs.layers.LSTM(3, return_sequences=True),
    "gru_reset_after": lambda: fs.layers.GRU(3, return_sequences=True),
    "gru_reset_before": lambda: fs.layers.GRU(2, reset_after=False, go_backwards=True),
    "bidirectional_lstm_ave": lambda: fs.layers.Bidirectional(fs.layers.LSTM(2, return_sequences=True),
                                                              merge_mode="ave"),
    "time_distributed_dense": lambda: fs.layers.TimeDistributed(fs.layers.Dense(2, activation="tanh")),
}


def _loss_and_gradients(layer, x, mask, weights):
    """(loss of the weights, its autograd gradients): sum of squares of the layer's output on x (with the mask)."""
    kwargs = {} if mask is None else {"mask": mask}

    def loss(values):
        outputs, _ = layer.stateless_call(values, [], x, **kwargs)
        return fs.ops.sum(fs.ops.square(outputs))

    return (lambda values: float(np.asarray(loss(values)))), fs.value_and_grad(loss)(weights)[1]


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=3, deadline=None, derandomize=True)
@given(batch=st.integers(1, 3), steps=st.integers(1, 4), masked=st.booleans(), seed=st.integers(0, 2**16))
def test_recurrent_layer_gradient_matches_central_differences(name, batch, steps, masked, seed):
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    layer = LAYERS[name]()
    x = rng.normal(size=(batch, steps, 3))
    layer(x)
    mask = None
    if masked and name != "time_distributed_dense":
        mask = rng.random((batch, steps)) < 0.7
    weights = [np.asarray(w) for w in layer.get_weights()]
    weights = [w + 0.1 * rng.normal(size=w.shape) for w in weights]  # off the initial values (e.g. zero biases)
    loss, grads = _loss_and_gradients(layer, x, mask, weights)
    for grad, numeric in zip(grads, central_differences(loss, weights)):
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cell_class", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_one_cell_step_gradient_matches_central_differences_in_inputs_and_states(cell_class):
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    cell = getattr(fs.layers, cell_class)(3)
    x = rng.normal(size=(2, 4))
    sizes = cell.state_size if isinstance(cell.state_size, list) else [cell.state_size]
    states = [rng.normal(size=(2, size)) for size in sizes]
    cell(x, states)

    def loss(values):
        output, new_states = cell(values[0], list(values[1:]))
        return fs.ops.sum(fs.ops.square(output)) + sum(fs.ops.sum(s * s) for s in new_states)

    _, grads = fs.value_and_grad(loss)([x, *states])
    numeric = central_differences(lambda v: float(np.asarray(loss(v))), [x, *states])
    for grad, expected in zip(grads, numeric):
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


def test_masked_steps_get_no_gradient_from_their_inputs():
    """A masked step is skipped: the loss does not depend on its inputs."""
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(5)
    layer = fs.layers.LSTM(3)
    x = np.random.default_rng(5).normal(size=(2, 4, 3))
    layer(x)
    mask = np.array([[True, True, False, False], [True, False, True, True]])

    def loss(values):
        return fs.ops.sum(fs.ops.square(layer(values[0], mask=mask)))

    _, (grad,) = fs.value_and_grad(loss)([x])
    np.testing.assert_array_equal(grad[~mask], 0.0)
    assert np.all(np.abs(grad[mask]).sum(axis=-1) > 0)


# -- issue 15: dropout in training, ConvLSTM (docs/SPEC.md RNN.6, RNN.8) ---------------------------------------------
#: name -> a layer whose training call draws dropout masks, or a ConvLSTM
TRAINING_LAYERS = {
    "simple_rnn_dropout": lambda: fs.layers.SimpleRNN(3, dropout=0.3, recurrent_dropout=0.4, seed=1,
                                                      return_sequences=True),
    "lstm_dropout_per_gate": lambda: fs.layers.LSTM(2, dropout=0.25, recurrent_dropout=0.3, seed=2),
    "gru_reset_before_dropout": lambda: fs.layers.GRU(2, reset_after=False, dropout=0.2, recurrent_dropout=0.3,
                                                      seed=3, return_sequences=True),
    "conv_lstm1d_same_dropout": lambda: fs.layers.ConvLSTM1D(2, 3, padding="same", dropout=0.2,
                                                             recurrent_dropout=0.2, seed=4, return_sequences=True),
    "conv_lstm2d_strided": lambda: fs.layers.ConvLSTM2D(2, 2, strides=2, data_format="channels_first"),
    "conv_lstm3d": lambda: fs.layers.ConvLSTM3D(1, 2, padding="same"),
}
#: name -> the input shape (batch, time, ...)
TRAINING_SHAPES = {"conv_lstm1d_same_dropout": (2, 3, 5, 2), "conv_lstm2d_strided": (1, 2, 2, 4, 4),
                   "conv_lstm3d": (1, 2, 2, 3, 2, 1)}


@pytest.mark.parametrize("name", sorted(TRAINING_LAYERS))
def test_training_gradient_with_dropout_masks_and_convlstm_matches_central_differences(name):
    """In training, from one seed state (the masks fixed), the gradient in every weight is the finite differences'."""
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(6)
    rng = np.random.default_rng(6)
    layer = TRAINING_LAYERS[name]()
    x = rng.normal(size=TRAINING_SHAPES.get(name, (2, 4, 3)))
    layer(x)
    weights = [np.asarray(w) + 0.1 * rng.normal(size=w.shape) for w in layer.get_weights()]
    seed_states = [np.asarray(v.numpy()) for v in layer.non_trainable_variables]

    def loss(values):
        outputs, _ = layer.stateless_call(values, seed_states, x, training=True)
        return fs.ops.sum(fs.ops.square(outputs))

    grads = fs.value_and_grad(loss)(weights)[1]
    for grad, numeric in zip(grads, central_differences(lambda v: float(np.asarray(loss(v))), weights)):
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    if layer.dropout:  # the masks are in play: training differs from inference
        inference, _ = layer.stateless_call(weights, seed_states, x)
        assert not np.allclose(np.asarray(inference), np.asarray(layer.stateless_call(weights, seed_states, x,
                                                                                      training=True)[0]))

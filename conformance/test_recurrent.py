"""Masking and the recurrent layers on every backend: the cells against their formulas, the time loop (go_backwards,
initial_state, masks), shapes, mask propagation and the loss and metric weighting by the output's mask, padded
against unpadded batches, wrappers, weights as Keras lays them out, configs and bad arguments (docs/SPEC.md
"Masking", "Recurrent")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def numpy_of(fs, x):
    return np.asarray(fs.ops.convert_to_numpy(x))


def tolerance(precision):
    return {"rtol": 1e-10, "atol": 1e-12} if precision == "float64" else {"rtol": 2e-4, "atol": 2e-5}


def formulas_in_float64_only(precision):
    """The formula checks run in float64 (they catch formula bugs); float32 is the goldens' (precision bugs), which
    keeps this file's JAX time, whose eager ops compile per shape, within CI's budget."""
    if precision != "float64":
        pytest.skip("a formula check: float64 only (float32 is checked by the golden cases)")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- the cells' formulas, in numpy ----------------------------------------------------------------------------------
def simple_rnn_step(w, x, states):
    kernel, recurrent, bias = w
    h = np.tanh(x @ kernel + bias + states[0] @ recurrent)
    return h, [h]


def lstm_step(w, x, states):
    kernel, recurrent, bias = w
    u = recurrent.shape[0]
    z = x @ kernel + states[0] @ recurrent + bias
    i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
    c = sigmoid(f) * states[1] + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, [h, c]


def gru_step(w, x, states, reset_after):
    kernel, recurrent, bias = w
    u, h_prev = recurrent.shape[0], states[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    xz, xr, xh = np.split(x @ kernel + input_bias, 3, axis=-1)
    inner = h_prev @ recurrent + recurrent_bias
    z = sigmoid(xz + inner[:, :u])
    r = sigmoid(xr + inner[:, u:2 * u])
    hh = np.tanh(xh + (r * inner[:, 2 * u:] if reset_after else (r * h_prev) @ recurrent[:, 2 * u:]))
    h = z * h_prev + (1 - z) * hh
    return h, [h]


STEPS = {
    "SimpleRNN": simple_rnn_step, "LSTM": lstm_step,
    "GRU": lambda w, x, s: gru_step(w, x, s, True),
    "GRU_reset_before": lambda w, x, s: gru_step(w, x, s, False),
}


def make_layer(fs, name, units, **kwargs):
    if name == "GRU_reset_before":
        return fs.layers.GRU(units, reset_after=False, **kwargs)
    return getattr(fs.layers, name)(units, **kwargs)


def run_numpy(step, weights, x, states, mask=None, go_backwards=False):
    """The time loop by hand: (every step's output in processing order, final states)."""
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs = []
    for t in order:
        out, new = step(weights, x[:, t], states)
        if mask is not None:  # a masked step: the states carry over, the output is the first state's
            kept = mask[:, t][:, None]
            out = np.where(kept, out, states[0])
            new = [np.where(kept, n, s) for n, s in zip(new, states)]
        outputs.append(out)
        states = new
    return np.stack(outputs, axis=1), states


def random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]


@pytest.mark.parametrize("name", sorted(STEPS))
@settings(max_examples=3, deadline=None, derandomize=True)  # few shapes: each new one compiles JAX's eager ops
@given(batch=st.sampled_from([1, 3]), steps=st.sampled_from([1, 4]), units=st.sampled_from([1, 3]),
       go_backwards=st.booleans(),
       masked=st.booleans(), with_initial_state=st.booleans(), seed=st.integers(0, 2**16))
def test_each_layer_runs_its_cell_formula_over_time(fs, precision, name, batch, steps, units, go_backwards, masked,
                                                     with_initial_state, seed):
    formulas_in_float64_only(precision)
    rng = np.random.default_rng(seed)
    layer = make_layer(fs, name, units, return_sequences=True, return_state=True, go_backwards=go_backwards)
    x = rng.normal(size=(batch, steps, 3))
    layer(x)
    weights = random_weights(layer, seed)
    layer.set_weights(weights)
    sizes = [units, units] if name == "LSTM" else [units]
    states = [rng.normal(size=(batch, s)) for s in sizes] if with_initial_state else [np.zeros((batch, s))
                                                                                      for s in sizes]
    mask = rng.random((batch, steps)) < 0.7 if masked else None
    kwargs = {"initial_state": states} if with_initial_state else {}
    if mask is not None:
        kwargs["mask"] = mask
    sequence, *final = layer(x, **kwargs)
    expected_sequence, expected_final = run_numpy(STEPS[name], weights, x, states, mask, go_backwards)
    np.testing.assert_allclose(numpy_of(fs, sequence), expected_sequence, **tolerance(precision))
    for got, expected in zip(final, expected_final):
        np.testing.assert_allclose(numpy_of(fs, got), expected, **tolerance(precision))
    last = make_layer(fs, name, units, go_backwards=go_backwards)
    last(x)
    last.set_weights(weights)
    np.testing.assert_allclose(numpy_of(fs, last(x, **kwargs)), expected_sequence[:, -1], **tolerance(precision))


def test_unroll_computes_what_the_loop_engine_computes(fs, precision):
    x = np.random.default_rng(1).normal(size=(2, 4, 3))
    looped, unrolled = fs.layers.GRU(3, return_sequences=True), fs.layers.GRU(3, return_sequences=True, unroll=True)
    looped(x)
    unrolled(x)
    unrolled.set_weights(looped.get_weights())
    np.testing.assert_allclose(numpy_of(fs, unrolled(x)), numpy_of(fs, looped(x)), **tolerance(precision))


def test_a_user_cell_runs_in_rnn(fs, precision):
    class RunningSum(fs.layers.Layer):
        """state += x; output the state times 2."""

        state_size = 3

        def call(self, inputs, states):
            total = states[0] + inputs
            return total * 2.0, [total]

    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    outputs = fs.layers.RNN(RunningSum(), return_sequences=True)(x)
    np.testing.assert_allclose(numpy_of(fs, outputs), 2 * np.cumsum(x, axis=1), **tolerance(precision))


def test_stacked_cells_feed_each_cells_output_to_the_next(fs, precision):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[True, True, False, True], [True, False, False, False]])
    layer = fs.layers.RNN([fs.layers.SimpleRNNCell(3), fs.layers.LSTMCell(2)], return_sequences=True,
                          return_state=True)
    layer(x)
    weights = random_weights(layer, 10)
    layer.set_weights(weights)
    sequence, first_states, second_states = layer(x, mask=mask)

    def stacked_step(w, x_t, states):
        h1, s1 = simple_rnn_step(w[:3], x_t, states[:1])
        h2, s2 = lstm_step(w[3:], h1, states[1:])
        return h2, s1 + s2

    states = [np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 2))]
    outputs = []
    for t in range(4):  # masked steps: the last cell's first state is the previous output
        out, new = stacked_step(weights, x[:, t], states)
        kept = mask[:, t][:, None]
        outputs.append(np.where(kept, out, states[1]))
        states = [np.where(kept, n, s) for n, s in zip(new, states)]
    np.testing.assert_allclose(numpy_of(fs, sequence), np.stack(outputs, 1), **tolerance(precision))
    for got, want in zip([*first_states, *second_states], states):
        np.testing.assert_allclose(numpy_of(fs, got), want, **tolerance(precision))


# -- shapes ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_output_shapes_eager_and_symbolic(fs, name):
    states = 2 if name == "LSTM" else 1
    for kwargs, expected in (({}, [(2, 4)]), ({"return_sequences": True}, [(2, 5, 4)]),
                             ({"return_state": True}, [(2, 4)] * (1 + states)),
                             ({"return_sequences": True, "return_state": True}, [(2, 5, 4)] + [(2, 4)] * states)):
        layer = getattr(fs.layers, name)(4, **kwargs)
        out = layer(np.zeros((2, 5, 3)))
        out = out if isinstance(out, list) else [out]
        assert [tuple(fs.ops.shape(o)) for o in out] == expected, kwargs
        symbolic = getattr(fs.layers, name)(4, **kwargs)(fs.Input(shape=(5, 3)))
        symbolic = symbolic if isinstance(symbolic, list) else [symbolic]
        assert [s.shape for s in symbolic] == [(None, *e[1:]) for e in expected], kwargs


def test_weights_are_named_shaped_and_ordered_as_keras(fs):
    lstm, gru, gru_before, simple = (fs.layers.LSTM(4), fs.layers.GRU(4), fs.layers.GRU(4, reset_after=False),
                                     fs.layers.SimpleRNN(4))
    for layer in (lstm, gru, gru_before, simple):
        layer(np.zeros((1, 2, 3)))
    assert [w.shape for w in lstm.weights] == [(3, 16), (4, 16), (16,)]
    assert [w.path.split("/")[-1] for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    assert [w.shape for w in gru_before.weights] == [(3, 12), (4, 12), (12,)]
    assert [w.shape for w in simple.weights] == [(3, 4), (4, 4), (4,)]
    bias = numpy_of(fs, lstm.weights[2].value)  # unit_forget_bias: the forget gate's block starts at 1
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    recurrent = numpy_of(fs, lstm.weights[1].value)  # orthogonal
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)
    both = fs.layers.Bidirectional(fs.layers.GRU(2))
    both(np.zeros((1, 2, 3)))
    assert len(both.weights) == 6 and both.forward_layer.name.startswith("forward_")
    assert both.backward_layer.go_backwards and not both.forward_layer.go_backwards


# -- masks -----------------------------------------------------------------------------------------------------------
def padded_tokens(rng, lengths, steps):
    return np.array([np.r_[rng.integers(1, 10, size=n), np.zeros(steps - n, int)] for n in lengths], "int32")


def test_a_padded_batch_gives_the_outputs_and_loss_of_the_unpadded_sequences(fs, precision):
    """Embedding(mask_zero) -> SimpleRNN -> GRU -> LSTM -> Dense: the padded batch's predictions and loss
    (compiled steps) equal each sequence's alone, unpadded (eager calls)."""
    formulas_in_float64_only(precision)
    rng = np.random.default_rng(3)
    fs.utils.set_random_seed(3)
    lengths, steps = [2, 5, 3], 5
    x = padded_tokens(rng, lengths, steps)
    y = np.array([0.0, 1.0, 2.0])
    model = fs.Sequential([fs.Input(shape=(None,), dtype="int32"), fs.layers.Embedding(10, 4, mask_zero=True),
                           fs.layers.SimpleRNN(3, return_sequences=True), fs.layers.GRU(3, return_sequences=True),
                           fs.layers.LSTM(3), fs.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    padded = numpy_of(fs, model.predict(x, verbose=0))
    alone = np.concatenate([numpy_of(fs, model(x[i:i + 1, :n])) for i, n in enumerate(lengths)])
    np.testing.assert_allclose(padded, alone, **tolerance(precision))
    losses = -np.log(alone[np.arange(3), y.astype(int)])
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), losses.mean(), **tolerance(precision))


def test_masking_masks_the_steps_equal_to_mask_value_and_zeroes_them(fs, precision):
    x = np.array([[[1.0, 2.0], [0.5, 0.5], [0.0, 3.0]], [[0.5, 0.5], [0.5, 0.5], [1.0, 1.0]]])
    layer = fs.layers.Masking(mask_value=0.5)
    out = layer(x)
    expected_mask = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(numpy_of(fs, layer.compute_mask(x)), expected_mask)
    np.testing.assert_allclose(numpy_of(fs, out), np.where(expected_mask[..., None], x, 0.0))
    model = fs.Sequential([fs.Input(shape=(3, 2)), fs.layers.Masking(0.5), fs.layers.GlobalAveragePooling1D()])
    np.testing.assert_allclose(numpy_of(fs, model(x)), np.array([[0.5, 2.5], [1.0, 1.0]]), **tolerance(precision))


def test_the_mask_propagates_through_dense_activation_dropout_and_merges(fs, precision):
    """Dense on 3-D inputs, Activation and Dropout pass the mask on; Add ORs the masks; Concatenate joins them;
    GlobalAveragePooling1D averages over the unmasked steps and ends the mask."""
    formulas_in_float64_only(precision)
    tokens = np.array([[3, 4, 0, 0], [5, 0, 0, 0]], "int32")
    other = np.array([[3, 0, 2, 0], [5, 0, 0, 0]], "int32")
    a_in, b_in = fs.Input(shape=(4,), dtype="int32"), fs.Input(shape=(4,), dtype="int32")
    a = fs.layers.Embedding(8, 3, mask_zero=True)(a_in)
    b = fs.layers.Embedding(8, 3, mask_zero=True)(b_in)
    a = fs.layers.Dropout(0.5)(fs.layers.Activation("tanh")(fs.layers.Dense(3)(a)))
    added = fs.layers.Add()([a, b])
    joined = fs.layers.Concatenate()([a, b])
    pooled = fs.layers.GlobalAveragePooling1D()(added)
    model = fs.Model([a_in, b_in], [added, joined, pooled])
    added_v, joined_v, pooled_v = model([tokens, other], training=True)
    from fitspec.masking import get_mask

    union = (tokens != 0) | (other != 0)
    np.testing.assert_array_equal(numpy_of(fs, get_mask(added_v)), union)
    np.testing.assert_array_equal(numpy_of(fs, get_mask(joined_v)), union)
    assert get_mask(pooled_v) is None
    added_np = numpy_of(fs, added_v)
    expected = (added_np * union[..., None]).sum(axis=1) / union.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(numpy_of(fs, pooled_v), expected, **tolerance(precision))


def test_a_layer_keras_makes_compute_with_the_mask_refuses_it_until_fitspec_does(fs):
    model = fs.Sequential([fs.Input(shape=(3,), dtype="int32"), fs.layers.Embedding(5, 2, mask_zero=True),
                           fs.layers.BatchNormalization()])
    with pytest.raises(ValueError, match="mask"):
        model(np.array([[1, 2, 0]], "int32"))


def test_the_loss_and_the_metrics_weigh_by_the_output_mask(fs, precision):
    """loss = Σ mse·m / Σ m (Keras: the kept values weigh size / kept); a metric's mean weighs by m."""
    rng = np.random.default_rng(6)
    x = rng.random((4, 5, 2)) + 0.1
    x[0, 3:] = 0.0
    x[2, 1:] = 0.0
    y = rng.random((4, 5, 2))
    fs.utils.set_random_seed(6)
    inputs = fs.Input(shape=(5, 2))
    outputs = fs.layers.TimeDistributed(fs.layers.Dense(2))(fs.layers.Masking(0.0)(inputs))
    model = fs.Model(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])
    y_pred = numpy_of(fs, model.predict(x, verbose=0))
    mask = np.any(x != 0.0, axis=-1)
    mse, mae = ((y_pred - y) ** 2).mean(-1), np.abs(y_pred - y).mean(-1)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], (mse * mask).sum() / mask.sum(), **tolerance(precision))
    np.testing.assert_allclose(logs["mae"], (mae * mask).sum() / mask.sum(), **tolerance(precision))
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["loss"][0], (mse * mask).sum() / mask.sum(), **tolerance(precision))
    np.testing.assert_allclose(history.history["mae"][0], (mae * mask).sum() / mask.sum(), **tolerance(precision))


def test_a_layer_with_several_tensor_arguments_receives_each_ones_mask_as_name_mask(fs):
    """The protocol attention layers plug into: `call(query, value, query_mask=None, value_mask=None)`."""
    seen = {}

    class Pair(fs.layers.Layer):
        def call(self, query, value, query_mask=None, value_mask=None):
            seen["query_mask"], seen["value_mask"] = query_mask, value_mask
            return query + 0.0

    q_in, v_in = fs.Input(shape=(3,), dtype="int32"), fs.Input(shape=(2,), dtype="int32")
    q = fs.layers.Embedding(5, 2, mask_zero=True)(q_in)
    v = fs.layers.Embedding(5, 2)(v_in)
    fs.Model([q_in, v_in], Pair()(q, v))([np.array([[1, 0, 2]], "int32"), np.array([[1, 1]], "int32")])
    np.testing.assert_array_equal(numpy_of(fs, seen["query_mask"]), [[True, False, True]])
    assert seen["value_mask"] is None


# -- wrappers --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_the_forward_and_the_time_ordered_backward_outputs(fs, precision, merge_mode):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 4, 3))
    layer = fs.layers.Bidirectional(fs.layers.LSTM(2, return_sequences=True, return_state=True),
                                    merge_mode=merge_mode)
    out = layer(x)
    weights = random_weights(layer, 7)
    layer.set_weights(weights)
    out = layer(x)
    forward, f_states = run_numpy(lstm_step, weights[:3], x, [np.zeros((2, 2))] * 2)
    backward, b_states = run_numpy(lstm_step, weights[3:], x, [np.zeros((2, 2))] * 2, go_backwards=True)
    backward = backward[:, ::-1]
    merged = {"concat": np.concatenate([forward, backward], -1), "sum": forward + backward, "mul": forward * backward,
              "ave": (forward + backward) / 2, None: None}[merge_mode]
    expected = ([forward, backward] if merge_mode is None else [merged]) + [*f_states, *b_states]
    assert len(out) == len(expected)
    for got, want in zip(out, expected):
        np.testing.assert_allclose(numpy_of(fs, got), want, **tolerance(precision))


def test_time_distributed_applies_the_layer_to_every_step(fs, precision):
    x = np.random.default_rng(8).normal(size=(2, 3, 4))
    dense = fs.layers.Dense(5)
    out = fs.layers.TimeDistributed(dense)(x)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(numpy_of(fs, out), x @ kernel + bias, **tolerance(precision))
    assert fs.layers.TimeDistributed(fs.layers.Dense(5))(fs.Input(shape=(3, 4))).shape == (None, 3, 5)


def test_configs_rebuild_the_layers_with_the_same_outputs(fs, precision):
    x = np.random.default_rng(9).normal(size=(2, 4, 3))
    for layer in (fs.layers.LSTM(3, return_sequences=True, go_backwards=True, unit_forget_bias=False),
                  fs.layers.GRU(2, reset_after=False, activation="relu"), fs.layers.SimpleRNN(2, use_bias=False),
                  fs.layers.Bidirectional(fs.layers.GRU(2, return_sequences=True), merge_mode="sum"),
                  fs.layers.TimeDistributed(fs.layers.Dense(2)), fs.layers.RNN(fs.layers.LSTMCell(2)),
                  fs.layers.RNN(fs.layers.StackedRNNCells([fs.layers.GRUCell(2), fs.layers.SimpleRNNCell(3)])),
                  fs.layers.Masking(0.5)):
        expected = layer(x)
        rebuilt = type(layer).from_config(layer.get_config())
        rebuilt(x)
        rebuilt.set_weights(layer.get_weights())
        np.testing.assert_allclose(numpy_of(fs, rebuilt(x)), numpy_of(fs, expected), **tolerance(precision))
    assert fs.layers.Embedding(3, 2, mask_zero=True).get_config()["mask_zero"] is True


# -- bad arguments ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, argument", [
    (lambda fs: fs.layers.LSTM(0), "units"),
    (lambda fs: fs.layers.GRU(2, dropout=1.0), "dropout"),
    (lambda fs: fs.layers.SimpleRNN(2, recurrent_dropout=2.0), "recurrent_dropout"),
    (lambda fs: fs.layers.LSTMCell(2, dropout="0.1"), "dropout"),
    (lambda fs: fs.layers.GRU(2, dropout=0.1, seed=-1), "seed"),
    (lambda fs: fs.layers.LSTM(2, stateful="yes"), "stateful"),
    (lambda fs: fs.layers.LSTM(2, stateful=True)(fs.Input(shape=(3, 4))), "stateful"),
    (lambda fs: fs.layers.LSTM(2, return_sequences="yes"), "return_sequences"),
    (lambda fs: fs.layers.RNN(fs.layers.Dense(2)), "cell"),
    (lambda fs: fs.layers.Bidirectional(fs.layers.LSTM(2), merge_mode="max"), "merge_mode"),
    (lambda fs: fs.layers.Bidirectional(fs.layers.Dense(2)), "layer"),
    (lambda fs: fs.layers.TimeDistributed("dense"), "layer"),
    (lambda fs: fs.layers.Embedding(3, 2, mask_zero="yes"), "mask_zero"),
    (lambda fs: fs.layers.Masking(mask_value="0"), "mask_value"),
    (lambda fs: fs.layers.LSTMCell(2, implementation=3), "implementation"),
])
def test_bad_arguments_are_refused_by_name(fs, make, argument):
    with pytest.raises(ValueError, match=argument):
        make(fs)


def test_bad_call_inputs_are_refused_by_name(fs):
    layer = fs.layers.LSTM(2)
    with pytest.raises(ValueError, match="initial_state"):
        layer(np.zeros((2, 3, 4)), initial_state=[np.zeros((2, 2))])
    with pytest.raises(ValueError, match="initial_state"):
        layer(np.zeros((2, 3, 4)), initial_state=[np.zeros((2, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="mask"):
        layer(np.zeros((2, 3, 4)), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="inputs"):
        fs.layers.GRU(2)(np.zeros((2, 3)))

"""The recurrent layers' dropout, recurrent_dropout, stateful and unroll on every backend: the masks drawn once per
sequence from the portable generator in Keras's order and used as Keras's cells use them, inactive in inference;
states carried from call to call, across the batches of predict and fit, until reset_states; unroll's numbers the
loop's (docs/SPEC.md RNN.6, RNN.7)."""

from __future__ import annotations

import numpy as np
import pytest


def numpy_of(fs, x):
    return np.asarray(fs.ops.convert_to_numpy(x))


def tolerance(precision):
    return {"rtol": 1e-10, "atol": 1e-12} if precision == "float64" else {"rtol": 2e-4, "atol": 2e-5}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def product(x, kernel, masks, gates):
    """x @ kernel with no mask, one mask for every gate, or one per gate (the kernel's columns in `gates` blocks)."""
    if masks is None:
        return x @ kernel
    blocks = np.split(kernel, gates, axis=-1) if len(masks) > 1 else [kernel]
    return np.concatenate([(x * mask) @ block for mask, block in zip(masks, blocks)], axis=-1)


# -- the cells with their masks, in numpy (Keras's formulas) -----------------------------------------------------------
def simple_rnn_step(w, x, states, masks):
    kernel, recurrent, bias = w
    h = np.tanh(product(x, kernel, masks[0], 1) + bias + product(states[0], recurrent, masks[1], 1))
    return h, [h]


def lstm_step(w, x, states, masks):
    kernel, recurrent, bias = w
    u = recurrent.shape[0]
    z = product(x, kernel, masks[0], 4) + product(states[0], recurrent, masks[1], 4) + bias
    i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
    c = sigmoid(f) * states[1] + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), [sigmoid(o) * np.tanh(c), c]


def gru_step(w, x, states, masks, reset_after):
    kernel, recurrent, bias = w
    u, h_prev = recurrent.shape[0], states[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    xz, xr, xh = np.split(product(x, kernel, masks[0], 3) + input_bias, 3, axis=-1)
    recurrent_masks = masks[1] or [np.ones_like(h_prev)] * 3
    if reset_after:
        inner = product(h_prev, recurrent, masks[1], 3) + recurrent_bias
    else:
        inner = product(h_prev, recurrent[:, :2 * u], None if masks[1] is None else recurrent_masks[:2], 2)
    z = sigmoid(xz + inner[:, :u])
    r = sigmoid(xr + inner[:, u:2 * u])
    candidate = r * inner[:, 2 * u:] if reset_after else (r * h_prev * recurrent_masks[-1]) @ recurrent[:, 2 * u:]
    h = z * h_prev + (1 - z) * np.tanh(xh + candidate)
    return h, [h]


#: name -> (the layer's class and extra arguments, its numpy step, masks per kind with recurrent_dropout)
LAYERS = {
    "SimpleRNN": ("SimpleRNN", {}, simple_rnn_step, 1),
    "LSTM": ("LSTM", {}, lstm_step, 4),
    "GRU": ("GRU", {}, lambda w, x, s, m: gru_step(w, x, s, m, True), 3),
    "GRU_reset_before": ("GRU", {"reset_after": False}, lambda w, x, s, m: gru_step(w, x, s, m, False), 3),
}


def run_numpy(step, weights, x, states, masks):
    outputs = []
    for t in range(x.shape[1]):
        out, states = step(weights, x[:, t], states, masks)
        outputs.append(out)
    return np.stack(outputs, axis=1), states


def drawn_masks(fs, generator, shape, rate, count):
    """`count` masks as fs.random.dropout draws them from `generator` (fs.random's portable values)."""
    if not rate:
        return None
    return [numpy_of(fs, fs.random.dropout(fs.ops.ones(shape), rate, seed=generator)) for _ in range(count)]


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.3, 0.0), (0.25, 0.4)])
def test_dropout_masks_are_drawn_once_per_sequence_from_the_portable_generator(fs, precision, name, dropout,
                                                                              recurrent_dropout):
    """Each call draws its masks (inputs first, then the recurrent state; one per gate where recurrent_dropout asks
    for Keras's implementation 1) from the layer's seeded generator and uses them at every step; the next call
    draws the next ones."""
    if precision != "float64":
        pytest.skip("a formula check: float64 only (float32 is checked by the golden cases)")
    class_name, extra, step, gates = LAYERS[name]
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3))
    layer = getattr(fs.layers, class_name)(3, dropout=dropout, recurrent_dropout=recurrent_dropout, seed=5,
                                           return_sequences=True, return_state=True, **extra)
    layer.build(x.shape)
    weights = [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    generator = fs.random.SeedGenerator(5)
    count = gates if recurrent_dropout else 1
    sizes = [3, 3] if class_name == "LSTM" else [3]
    for _ in range(2):
        masks = (drawn_masks(fs, generator, (2, 3), dropout, count),
                 drawn_masks(fs, generator, (2, 3), recurrent_dropout, count))
        sequence, *final = layer(x, training=True)
        expected, expected_final = run_numpy(step, weights, x, [np.zeros((2, s)) for s in sizes], masks)
        np.testing.assert_allclose(numpy_of(fs, sequence), expected, **tolerance(precision))
        for got, want in zip(final, expected_final):
            np.testing.assert_allclose(numpy_of(fs, got), want, **tolerance(precision))


def test_dropout_is_inactive_in_inference_and_unroll_computes_the_loops_numbers(fs, precision):
    x = np.random.default_rng(4).normal(size=(2, 4, 3))
    plain = fs.layers.LSTM(3, return_sequences=True)
    dropping = fs.layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1, return_sequences=True)
    unrolled = fs.layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1, return_sequences=True, unroll=True)
    for layer in (plain, dropping, unrolled):
        layer.build(x.shape)
        layer.set_weights(plain.get_weights())
    np.testing.assert_allclose(numpy_of(fs, dropping(x)), numpy_of(fs, plain(x)), **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, unrolled(x)), numpy_of(fs, plain(x)), **tolerance(precision))
    np.testing.assert_allclose(numpy_of(fs, unrolled(x, training=True)), numpy_of(fs, dropping(x, training=True)),
                               **tolerance(precision))
    assert not np.allclose(numpy_of(fs, dropping(x, training=True)), numpy_of(fs, plain(x)))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_a_stateful_layer_continues_from_its_last_states_until_reset(fs, precision, name):
    rng = np.random.default_rng(5)
    first, second = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    stateful = getattr(fs.layers, name)(3, stateful=True, return_state=True)
    plain = getattr(fs.layers, name)(3, return_state=True)
    stateful(first)
    plain(first)
    plain.set_weights(stateful.get_weights())
    stateful.reset_states()
    _, *states = plain(first)
    expected = plain(second, initial_state=states)
    stateful(first)
    for got, want in zip(stateful(second), expected):
        np.testing.assert_allclose(numpy_of(fs, got), numpy_of(fs, want), **tolerance(precision))
    stateful.reset_states()
    np.testing.assert_allclose(numpy_of(fs, stateful(first)[0]), numpy_of(fs, plain(first)[0]), **tolerance(precision))
    assert len(stateful.get_weights()) == len(plain.get_weights())  # the states are variables, not weights


def test_predict_and_fit_carry_a_stateful_models_states_across_batches(fs, precision, tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 4, 3))
    inputs = fs.Input(batch_shape=(2, 4, 3))
    layer = fs.layers.LSTM(3, stateful=True)
    model = fs.Model(inputs, layer(inputs))
    chained = np.concatenate([numpy_of(fs, model(x[i:i + 2])) for i in (0, 2, 4)])
    layer.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0), chained, **tolerance(precision))
    assert not np.allclose(model.predict(x, batch_size=2, verbose=0), chained)  # it went on from the last states
    model.compile(optimizer="sgd", loss="mse")
    layer.reset_states()
    model.fit(x, np.zeros((6, 3)), batch_size=2, epochs=1, shuffle=False, verbose=0)
    states = [numpy_of(fs, v.value) for v in layer.states.variables]
    assert all(np.abs(s).max() > 0 for s in states)
    path = str(tmp_path / "stateful.keras")
    model.save(path)
    restored = fs.models.load_model(path)  # the states are not saved (Keras's rule): the restored ones are zeros
    assert all(np.abs(numpy_of(fs, v.value)).max() == 0 for v in restored.layers[-1].states.variables)
    with pytest.raises(ValueError, match="inputs"):
        model(x[:3])


def test_configs_keep_dropout_seed_implementation_and_stateful(fs, precision):
    """Rebuilt from its config, a layer draws the same masks in training (the same seed, the per-gate form kept)."""
    x = np.random.default_rng(9).normal(size=(2, 4, 3))
    for layer in (fs.layers.LSTM(3, dropout=0.3, implementation=1, seed=2, stateful=True),
                  fs.layers.RNN(fs.layers.GRUCell(2, recurrent_dropout=0.4, seed=3), return_sequences=True)):
        layer.build(x.shape)
        rebuilt = type(layer).from_config(layer.get_config())
        rebuilt.build(x.shape)
        rebuilt.set_weights(layer.get_weights())
        assert rebuilt.get_config() == layer.get_config()
        np.testing.assert_allclose(numpy_of(fs, rebuilt(x, training=True)), numpy_of(fs, layer(x, training=True)),
                                   **tolerance(precision))

"""The recurrent and masking layers one by one against Keras 3 (JAX backend, float64) from the same weights and
inputs: outputs and final states, masks, the masked loss and metric (docs/SPEC.md "Masking", "Recurrent").

`check()` prints one line per comparison and returns how many differ.
"""

from __future__ import annotations

import numpy as np

RTOL = ATOL = 1e-10


def _configurations(fs, keras):
    """(name, fitspec layer, Keras layer, call arguments as (args, kwargs) of numpy arrays) per comparison."""
    rng = np.random.default_rng(15)
    x = rng.normal(size=(3, 5, 4))
    mask = np.array([[True] * 5, [True, True, True, False, False], [False, True, True, False, True]])
    h0, c0 = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    out = []

    def pair(name, make, args, kwargs=None):
        out.append((name, make(fs.layers), make(keras.layers), args, kwargs or {}))

    for rnn in ("SimpleRNN", "LSTM", "GRU"):
        pair(f"{rnn} last step", lambda lay, r=rnn: getattr(lay, r)(3), (x,))
        pair(f"{rnn} sequences+state, masked", lambda lay, r=rnn: getattr(lay, r)(3, return_sequences=True,
                                                                             return_state=True), (x,), {"mask": mask})
        pair(f"{rnn} go_backwards, masked", lambda lay, r=rnn: getattr(lay, r)(3, go_backwards=True,
                                                                          return_sequences=True), (x,), {"mask": mask})
        states = [h0, c0] if rnn == "LSTM" else [h0]
        pair(f"{rnn} initial_state", lambda lay, r=rnn: getattr(lay, r)(3, return_state=True), (x,),
             {"initial_state": states})
        pair(f"{rnn} unroll", lambda lay, r=rnn: getattr(lay, r)(3, unroll=True, return_sequences=True), (x,))
    pair("GRU reset_after=False", lambda lay: lay.GRU(3, reset_after=False, return_sequences=True), (x,),
         {"mask": mask})
    pair("LSTM relu/hard_sigmoid, no forget bias", lambda lay: lay.LSTM(2, activation="relu",
                                                                   recurrent_activation="hard_sigmoid",
                                                                   unit_forget_bias=False), (x,))
    pair("RNN(LSTMCell)", lambda lay: lay.RNN(lay.LSTMCell(2), return_sequences=True), (x,), {"mask": mask})
    pair("RNN(GRUCell) zero_output_for_mask", lambda lay: lay.RNN(lay.GRUCell(2), return_sequences=True,
                                                             zero_output_for_mask=True), (x,), {"mask": mask})
    pair("RNN([SimpleRNNCell, LSTMCell]) stacked", lambda lay: lay.RNN([lay.SimpleRNNCell(3), lay.LSTMCell(2)],
                                                                      return_sequences=True, return_state=True),
         (x,), {"mask": mask})
    for mode in ("concat", "sum", "mul", "ave", None):
        pair(f"Bidirectional({mode}) LSTM sequences+state, masked",
             lambda lay, m=mode: lay.Bidirectional(lay.LSTM(2, return_sequences=True, return_state=True), merge_mode=m),
             (x,), {"mask": mask})
    pair("Bidirectional GRU last step", lambda lay: lay.Bidirectional(lay.GRU(2)), (x,), {"mask": mask})
    pair("TimeDistributed(Dense)", lambda lay: lay.TimeDistributed(lay.Dense(2, activation="tanh")), (x,))
    pair("Masking(0.5)", lambda lay: lay.Masking(0.5), (np.where(rng.random((3, 5, 1)) < 0.4, 0.5, x),))
    pair("GlobalAveragePooling1D masked", lambda lay: lay.GlobalAveragePooling1D(), (x,), {"mask": mask})
    return out


def _numpy(x):
    return np.asarray(x)


def _compare(name, ours, theirs, problems):
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    if len(ours) != len(theirs):
        problems.append(f"{name}: {len(ours)} outputs, Keras {len(theirs)}")
        return
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = _numpy(a), _numpy(b)
        if a.shape != b.shape:
            problems.append(f"{name}: output {i} shape {a.shape}, Keras {b.shape}")
        elif not np.allclose(a, b, rtol=RTOL, atol=ATOL):
            problems.append(f"{name}: output {i} max |diff| {np.max(np.abs(a - b)):.3e}")


def _masked_model_check(fs, keras, problems):
    """Embedding(mask_zero) -> LSTM(sequences) -> TimeDistributed(Dense): output masks, and the evaluate() loss and
    metric weighted by them."""
    rng = np.random.default_rng(16)
    tokens = np.where(np.arange(6) < rng.integers(1, 7, size=(4, 1)), rng.integers(1, 9, size=(4, 6)), 0)
    y = rng.random((4, 6, 2))

    def build(api):
        inputs = api.Input(shape=(6,), dtype="int32")
        x = api.layers.Embedding(9, 3, mask_zero=True)(inputs)
        x = api.layers.LSTM(3, return_sequences=True)(x)
        return api.Model(inputs, api.layers.TimeDistributed(api.layers.Dense(2))(x))

    ours, theirs = build(fs), build(keras)
    theirs.set_weights(ours.get_weights())
    for model in (ours, theirs):
        model.compile(loss="mse", metrics=["mae"])
    _compare("masked model predict", ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), problems)
    from fitspec.masking import get_mask

    ours_mask = get_mask(ours(tokens))
    theirs_mask = keras.backend.get_keras_mask(theirs(tokens)) if hasattr(keras.backend, "get_keras_mask") else None
    if theirs_mask is not None:
        _compare("masked model output mask", ours_mask, theirs_mask, problems)
    a = ours.evaluate(tokens, y, verbose=0, return_dict=True)
    b = theirs.evaluate(tokens, y, verbose=0, return_dict=True)
    for key in ("loss", "mae"):
        _compare(f"masked model evaluate {key}", a[key], b[key], problems)


def check() -> int:
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(15)
    failures = 0
    for name, ours, theirs, args, kwargs in _configurations(fs, keras):
        problems: list[str] = []
        try:
            first = ours(*args, **kwargs)
            theirs(*args, **kwargs)
            theirs.set_weights(ours.get_weights())
            _compare(name, ours(*args, **kwargs), theirs(*args, **kwargs), problems)
            del first
        except Exception as error:  # noqa: BLE001 (a crash is a difference, printed)
            problems.append(f"{name}: {type(error).__name__}: {error}")
        failures += _verdict(keras.__version__, f"recurrent: {name}", problems)
    problems = []
    _masked_model_check(fs, keras, problems)
    failures += _verdict(keras.__version__, "recurrent: masked Embedding-LSTM-TimeDistributed model", problems)
    return failures


def _verdict(version, name, problems) -> int:
    if not problems:
        print(f"agrees with Keras {version}: {name}")
        return 0
    print(f"DIFFERS from Keras {version}: {name}")
    for problem in problems[:10]:
        print(f"    {problem}")
    return 1

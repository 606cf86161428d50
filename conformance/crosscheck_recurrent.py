"""The recurrent and masking layers one by one against Keras 3 (JAX backend, float64) from the same weights and
inputs: outputs and final states, masks, the masked loss and metric (docs/SPEC.md "Masking", "Recurrent").

`check()` prints one line per comparison and returns how many differ.
"""

from __future__ import annotations

import numpy as np

RTOL = ATOL = 1e-10


#: activations Keras 3 on JAX computes exactly in float64 (no tanh, no sigmoid: SPEC 11, its tanh is off numpy's)
EXACT = {"activation": "relu", "recurrent_activation": "hard_sigmoid"}
#: the tolerance of the default activations: Keras's tanh on JAX is up to 9.1e-8 off in float64 (SPEC 11)
TANH_RTOL = TANH_ATOL = 3e-7
#: evaluate()'s loss and metric: Keras 3.15's ops.mean on JAX takes float64 in float32 (SPEC 11), 1.4e-8 measured
MEAN_RTOL, MEAN_ATOL = 1e-7, 1e-7
#: comparisons where Keras 3.15 itself raises (reported as documented differences, not failures)
KERAS_RAISES = {
    "SimpleRNN last step": "Keras 3.15 on JAX in float64 raises TypeError: its tanh computes in float32 (SPEC 11), "
                           "so lax.scan's carry turns float64 -> float32; the same layer with relu agrees at 1e-10",
    "SimpleRNN initial_state": "the same Keras 3.15 TypeError (tanh in float32 breaks lax.scan's float64 carry)",
}


def _configurations(fs, keras, exact):
    """(name, fitspec layer, Keras layer, args, kwargs) per comparison; with `exact`, relu / hard_sigmoid in place
    of tanh / sigmoid."""
    rng = np.random.default_rng(15)
    x = rng.normal(size=(3, 5, 4))
    mask = np.array([[True] * 5, [True, True, True, False, False], [False, True, True, False, True]])
    h0, c0 = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    gated = dict(EXACT) if exact else {}
    simple = {"activation": "relu"} if exact else {}
    out = []

    def pair(name, make, args, kwargs=None):
        out.append((name, make(fs.layers), make(keras.layers), args, kwargs or {}))

    for rnn in ("SimpleRNN", "LSTM", "GRU"):
        a = simple if rnn == "SimpleRNN" else gated
        pair(f"{rnn} last step", lambda lay, r=rnn, a=a: getattr(lay, r)(3, **a), (x,))
        pair(f"{rnn} sequences+state, masked", lambda lay, r=rnn, a=a: getattr(lay, r)(
            3, return_sequences=True, return_state=True, **a), (x,), {"mask": mask})
        pair(f"{rnn} go_backwards, masked", lambda lay, r=rnn, a=a: getattr(lay, r)(
            3, go_backwards=True, return_sequences=True, **a), (x,), {"mask": mask})
        states = [h0, c0] if rnn == "LSTM" else [h0]
        pair(f"{rnn} initial_state", lambda lay, r=rnn, a=a: getattr(lay, r)(3, return_state=True, **a), (x,),
             {"initial_state": states})
        pair(f"{rnn} unroll", lambda lay, r=rnn, a=a: getattr(lay, r)(3, unroll=True, return_sequences=True, **a),
             (x,))
    pair("GRU reset_after=False", lambda lay: lay.GRU(3, reset_after=False, return_sequences=True, **gated), (x,),
         {"mask": mask})
    pair("LSTM no forget bias", lambda lay: lay.LSTM(2, unit_forget_bias=False, **gated), (x,))
    pair("RNN(LSTMCell)", lambda lay: lay.RNN(lay.LSTMCell(2, **gated), return_sequences=True), (x,), {"mask": mask})
    pair("RNN(GRUCell) zero_output_for_mask", lambda lay: lay.RNN(lay.GRUCell(2, **gated), return_sequences=True,
                                                                 zero_output_for_mask=True), (x,), {"mask": mask})
    pair("RNN([SimpleRNNCell, LSTMCell]) stacked", lambda lay: lay.RNN(
        [lay.SimpleRNNCell(3, **simple), lay.LSTMCell(2, **gated)], return_sequences=True, return_state=True),
         (x,), {"mask": mask})
    for mode in ("concat", "sum", "mul", "ave", None):
        pair(f"Bidirectional({mode}) LSTM sequences+state, masked",
             lambda lay, m=mode: lay.Bidirectional(lay.LSTM(2, return_sequences=True, return_state=True, **gated),
                                                   merge_mode=m), (x,), {"mask": mask})
    pair("Bidirectional GRU last step", lambda lay: lay.Bidirectional(lay.GRU(2, **gated)), (x,), {"mask": mask})
    dense_activation = "relu" if exact else "tanh"
    pair("TimeDistributed(Dense)", lambda lay: lay.TimeDistributed(lay.Dense(2, activation=dense_activation)), (x,))
    if exact:
        pair("Masking(0.5)", lambda lay: lay.Masking(0.5), (np.where(rng.random((3, 5, 1)) < 0.4, 0.5, x),))
        pair("GlobalAveragePooling1D masked", lambda lay: lay.GlobalAveragePooling1D(), (x,), {"mask": mask})
    return out


def _numpy(x):
    return np.asarray(x)


def _compare(name, ours, theirs, problems, rtol=RTOL, atol=ATOL):
    ours = ours if isinstance(ours, (list, tuple)) else [ours]
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    if len(ours) != len(theirs):
        problems.append(f"{name}: {len(ours)} outputs, Keras {len(theirs)}")
        return
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = _numpy(a), _numpy(b)
        if a.shape != b.shape:
            problems.append(f"{name}: output {i} shape {a.shape}, Keras {b.shape}")
        elif not np.allclose(a, b, rtol=rtol, atol=atol):
            problems.append(f"{name}: output {i} max |diff| {np.max(np.abs(a - b)):.3e}")


def _masked_model_check(fs, keras, problems, exact):
    """Embedding(mask_zero) -> LSTM(sequences) -> TimeDistributed(Dense): output masks, and the evaluate() loss and
    metric weighted by them."""
    rng = np.random.default_rng(16)
    tokens = np.where(np.arange(6) < rng.integers(1, 7, size=(4, 1)), rng.integers(1, 9, size=(4, 6)), 0)
    y = rng.random((4, 6, 2))
    tol = {"rtol": RTOL, "atol": ATOL} if exact else {"rtol": TANH_RTOL, "atol": TANH_ATOL}

    def build(api):
        inputs = api.Input(shape=(6,), dtype="int32")
        x = api.layers.Embedding(9, 3, mask_zero=True)(inputs)
        x = api.layers.LSTM(3, return_sequences=True, **(EXACT if exact else {}))(x)
        return api.Model(inputs, api.layers.TimeDistributed(api.layers.Dense(2))(x))

    ours, theirs = build(fs), build(keras)
    theirs.set_weights(ours.get_weights())
    for model in (ours, theirs):
        model.compile(loss="mse", metrics=["mae"])
    _compare("masked model predict", ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), problems,
             **tol)
    from keras.src.backend.common.masking import get_keras_mask

    from fitspec.masking import get_mask

    _compare("masked model output mask", get_mask(ours(tokens)), get_keras_mask(theirs(tokens)), problems)
    a = ours.evaluate(tokens, y, verbose=0, return_dict=True)
    b = theirs.evaluate(tokens, y, verbose=0, return_dict=True)
    for key in ("loss", "mae"):
        _compare(f"masked model evaluate {key}", a[key], b[key], problems, rtol=max(tol["rtol"], MEAN_RTOL),
                 atol=max(tol["atol"], MEAN_ATOL))


#: dropout configurations Keras 3.15 cannot run: (layer, kwargs) -> why
KERAS_RAISES_TRAINING = {
    ("LSTM", "implementation=1, dropout only"): "Keras 3.15's LSTM / GRU hand a per-gate mask list to the fused "
    "path when recurrent_dropout is 0 (keras/src/layers/rnn/lstm.py inner_loop) and raise on broadcasting it",
}
STATEFUL_PREDICT_DEVIATION = (
    "Keras 3.15 on JAX keeps a stateful RNN's states outside the step's state (untracked variables), so its jitted "
    "predict() starts every batch from zeros; Keras on TensorFlow and PyTorch carries them from batch to batch, and "
    "fitspec does so on every backend (docs/SPEC.md RNN.7)")


def _dropout_configurations(fs, keras):
    """(name, fitspec layer, Keras layer) with dropout / recurrent_dropout, seeded, float32."""
    out = []
    for rnn, extra in (("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False})):
        for dropout, recurrent in ((0.3, 0.0), (0.3, 0.2), (0.0, 0.25)):
            kwargs = {"dropout": dropout, "recurrent_dropout": recurrent, "seed": 7, "return_sequences": True, **extra}
            out.append((f"{rnn}({kwargs})", getattr(fs.layers, rnn)(3, dtype="float32", **kwargs),
                        getattr(keras.layers, rnn)(3, **kwargs)))

    def stack(api, **dtype):
        return api.layers.RNN([api.layers.SimpleRNNCell(3, dropout=0.2, recurrent_dropout=0.3, seed=8, **dtype),
                               api.layers.LSTMCell(2, dropout=0.25, seed=9, **dtype)], return_sequences=True, **dtype)

    out.append(("RNN([SimpleRNNCell(dropout, recurrent_dropout), LSTMCell(dropout)])", stack(fs, dtype="float32"),
                stack(keras)))
    return out


def _training_checks(fs, keras) -> int:
    """Dropout in training (float32: the masks bit for bit, two calls), dropout inactive in inference and a stateful
    layer's calls (float64, exact activations), against Keras 3 on JAX."""
    import jax

    from conformance.crosscheck_common import verdict

    failures = 0
    x32 = np.random.default_rng(17).normal(size=(3, 5, 4)).astype("float32")
    keras.config.set_floatx("float32")
    try:
        with jax.enable_x64(False):
            for name, ours, theirs in _dropout_configurations(fs, keras):
                ours(x32)
                theirs(x32)  # Keras draws masks at every call, in inference too: so does fitspec
                theirs.set_weights(ours.get_weights())
                problems = []
                for call in range(2):
                    _compare(f"training call {call}", ours(x32, training=True), theirs(x32, training=True),
                             problems, rtol=1e-5, atol=1e-6)
                failures += verdict(f"recurrent dropout float32 training draws: {name}", problems)
    finally:
        keras.config.set_floatx("float64")
    for (name, what), why in KERAS_RAISES_TRAINING.items():
        ours = getattr(fs.layers, name)(3, dropout=0.3, seed=7, implementation=1, **EXACT)
        theirs = getattr(keras.layers, name)(3, dropout=0.3, seed=7, implementation=1, **EXACT)
        problems = []
        try:
            ours(x32.astype("float64"))
            theirs(x32.astype("float64"))
            theirs.set_weights(ours.get_weights())
            _compare("training", ours(x32.astype("float64"), training=True),
                     theirs(x32.astype("float64"), training=True), problems)
        except ValueError as error:
            problems.append(f"Keras raises ValueError: {str(error)[:120]}")
            failures += verdict(f"recurrent dropout: {name} {what}", problems, why)
        else:
            failures += verdict(f"recurrent dropout: {name} {what}", problems)
    x = np.random.default_rng(18).normal(size=(2, 5, 4))
    for rnn in ("LSTM", "GRU"):
        ours = getattr(fs.layers, rnn)(3, dropout=0.4, recurrent_dropout=0.3, **EXACT)
        theirs = getattr(keras.layers, rnn)(3, dropout=0.4, recurrent_dropout=0.3, **EXACT)
        ours(x)
        theirs(x)
        theirs.set_weights(ours.get_weights())
        problems = []
        _compare("inference", ours(x), theirs(x), problems)
        failures += verdict(f"recurrent dropout inactive in inference: {rnn}", problems)
    failures += verdict("recurrent stateful: LSTM, GRU calls carry the states; reset_states zeroes them",
                        _stateful_calls(fs, keras, x))
    problems = _stateful_predict(fs, keras)
    failures += verdict("recurrent stateful: predict() over batches", problems,
                        STATEFUL_PREDICT_DEVIATION if problems == ["Keras restarts each batch from zero states"]
                        else None)
    return failures


def _stateful_predict(fs, keras) -> list[str]:
    """predict() of a stateful LSTM over 3 batches against the layer run on the batches one after the other."""
    x = np.random.default_rng(19).normal(size=(6, 4, 3))

    def model(api):
        inputs = api.Input(batch_shape=(2, 4, 3))
        return api.Model(inputs, api.layers.LSTM(3, stateful=True, **EXACT)(inputs))

    ours, theirs = model(fs), model(keras)
    theirs.set_weights(ours.get_weights())
    carried = np.concatenate([np.asarray(fs.ops.convert_to_numpy(ours(x[i:i + 2]))) for i in (0, 2, 4)])
    ours.layers[-1].reset_states()
    problems = []
    _compare("fitspec predict", ours.predict(x, batch_size=2, verbose=0), carried, problems)
    restarted = []
    for i in (0, 2, 4):  # each batch from zero states
        theirs.layers[-1].reset_states()
        restarted.append(np.asarray(theirs(x[i:i + 2])))
    restarted = np.concatenate(restarted)
    theirs.layers[-1].reset_states()
    predicted = theirs.predict(x, batch_size=2, verbose=0)
    keras_problems = []
    _compare("Keras predict", predicted, carried, keras_problems)
    if keras_problems and np.allclose(predicted, restarted, rtol=1e-10, atol=1e-10):
        problems.append("Keras restarts each batch from zero states")
    else:
        problems += keras_problems
    return problems


def _stateful_calls(fs, keras, x) -> list[str]:
    problems = []
    for rnn in ("LSTM", "GRU"):
        ours = getattr(fs.layers, rnn)(3, stateful=True, return_state=True, **EXACT)
        theirs = getattr(keras.layers, rnn)(3, stateful=True, return_state=True, **EXACT)
        ours(x)
        theirs(x)
        theirs.set_weights(ours.get_weights())
        ours.reset_states()
        theirs.reset_states()
        for call in range(2):
            _compare(f"{rnn} call {call}", ours(x), theirs(x), problems)
        ours.reset_states()
        theirs.reset_states()
        _compare(f"{rnn} after reset_states", ours(x), theirs(x), problems)
    return problems


def float64_frameworks(seed: int):
    """(fitspec_numpy, keras) in float64 (Keras on JAX with x64), fitspec's weights seeded."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    fs.utils.set_random_seed(seed)
    return fs, keras


def check() -> int:
    fs, keras = float64_frameworks(15)
    failures = 0
    for exact in (True, False):
        tol = {"rtol": RTOL, "atol": ATOL} if exact else {"rtol": TANH_RTOL, "atol": TANH_ATOL}
        label = "relu/hard_sigmoid, 1e-10" if exact else "tanh/sigmoid, 3e-7 (SPEC 11: Keras's JAX tanh)"
        for name, ours, theirs, args, kwargs in _configurations(fs, keras, exact):
            problems: list[str] = []
            try:
                ours(*args, **kwargs)
                theirs(*args, **kwargs)
                theirs.set_weights(ours.get_weights())
                _compare(name, ours(*args, **kwargs), theirs(*args, **kwargs), problems, **tol)
            except Exception as error:  # noqa: BLE001 (a crash is a difference, printed)
                if not exact and name in KERAS_RAISES and "scan body function carry" in str(error):
                    print(f"differs as documented: recurrent ({label}): {name}: {KERAS_RAISES[name]}")
                    continue
                problems.append(f"{name}: {type(error).__name__}: {str(error)[:300]}")
            failures += _verdict(keras.__version__, f"recurrent ({label}): {name}", problems)
        problems = []
        _masked_model_check(fs, keras, problems, exact)
        failures += _verdict(keras.__version__, f"recurrent ({label}): masked Embedding-LSTM-TimeDistributed model",
                             problems)
    return failures + _training_checks(fs, keras)


def _verdict(version, name, problems) -> int:
    if not problems:
        print(f"agrees with Keras {version}: {name}")
        return 0
    print(f"DIFFERS from Keras {version}: {name}")
    for problem in problems[:10]:
        print(f"    {problem}")
    return 1

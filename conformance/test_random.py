"""fs.random and Dropout: the portable generator's values (bit for bit against jax.random and the reference backend),
its statistics, seed states in and out of steps, saving, and the native opt-out.

Statistical bounds are five standard errors of the statistic, so a correct generator fails them
about once in two million runs; the seeds are fixed, so a run is repeatable.
"""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

N = 100_000
WORDS = st.integers(0, 2**32 - 1)
#: a few shapes, so that frameworks which compile each op per shape (JAX eagerly) compile each op a few times
SHAPES = st.sampled_from([(), (0,), (1,), (7,), (2, 5), (3, 1, 4)])


def as_numpy(fs, x) -> np.ndarray:
    return np.asarray(fs.ops.convert_to_numpy(x))


def state_of(generator) -> list[int]:
    return generator.state.numpy().tolist()


def at_key(fs, seed: int, n: int):
    """A SeedGenerator whose next draw uses the key [seed, n]."""
    generator = fs.random.SeedGenerator(seed)
    generator.state.assign(fs.ops.convert_to_tensor(np.array([seed, n], dtype="uint32")))
    return generator


def float_dtypes(fs) -> list[str]:
    return ["float16", "float32", "float64"] + (["bfloat16"] if fs.backend.name != "numpy" else [])


def assert_same_bits(actual, expected, what: str) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if expected.dtype.name == "bfloat16":  # numpy has no bfloat16: backends hand it over as float32, exactly
        actual, expected = actual.astype("float32"), expected.astype("float32")
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, expected {expected.dtype}"
    if actual.dtype.kind == "f" or actual.dtype.name == "bfloat16":
        actual, expected = actual.view(f"u{actual.itemsize}"), expected.view(f"u{expected.itemsize}")
    differ = np.flatnonzero(actual.ravel() != expected.ravel())
    assert differ.size == 0, f"{what}: {differ.size} of {actual.size} values differ, first at flat index {differ[:5]}"


@pytest.fixture(scope="module")
def jax_random():
    """jax.random with x64 available (float64 draws), the generator the portable one reproduces."""
    jax = pytest.importorskip("jax", reason="the bit-for-bit reference is jax.random")

    def key(seed, n):
        return jax.random.wrap_key_data(jax.numpy.array([seed, n], dtype="uint32"), impl="threefry2x32")

    return jax, key


@pytest.fixture(scope="module")
def reference():
    """The numpy reference backend, in float64 (its draws take explicit dtypes)."""
    import fitspec_numpy

    return fitspec_numpy


# -- statistics --------------------------------------------------------------------------------------
def test_normal_has_the_requested_mean_and_stddev(fs, precision):
    draws = as_numpy(fs, fs.random.normal((N,), mean=2.0, stddev=3.0, seed=fs.random.SeedGenerator(1)))
    assert draws.shape == (N,) and draws.dtype == np.dtype(precision)
    assert abs(draws.mean() - 2.0) < 5 * 3.0 / np.sqrt(N)
    assert abs(draws.std() - 3.0) < 5 * 3.0 / np.sqrt(2 * N)
    assert abs(np.mean(np.abs(draws - 2.0) < 3.0) - 0.6827) < 5 * np.sqrt(0.6827 * 0.3173 / N)


def test_truncated_normal_stays_within_two_stddevs(fs, precision):
    draws = as_numpy(fs, fs.random.truncated_normal((N,), mean=1.0, stddev=0.5, seed=fs.random.SeedGenerator(2)))
    assert draws.dtype == np.dtype(precision)
    assert draws.min() > 0.0 and draws.max() < 2.0
    assert abs(draws.mean() - 1.0) < 5 * 0.5 / np.sqrt(N)
    # the standard normal cut at +-2 has variance 1 - 4 phi(2) / (2 Phi(2) - 1) = 0.7737
    assert abs(draws.std() - 0.5 * np.sqrt(0.77372)) < 5 * 0.5 / np.sqrt(2 * N)


def test_uniform_stays_in_its_range_with_the_midpoint_as_mean(fs, precision):
    draws = as_numpy(fs, fs.random.uniform((N,), minval=-1.0, maxval=3.0, seed=fs.random.SeedGenerator(2)))
    assert draws.dtype == np.dtype(precision)
    assert draws.min() >= -1.0 and draws.max() < 3.0
    assert abs(draws.mean() - 1.0) < 5 * 4.0 / np.sqrt(12 * N)
    counts = np.histogram(draws, bins=4, range=(-1.0, 3.0))[0] / N
    assert np.all(np.abs(counts - 0.25) < 5 * np.sqrt(0.25 * 0.75 / N))


def test_randint_draws_every_value_of_its_range_equally_often(fs):
    draws = as_numpy(fs, fs.random.randint((N,), minval=3, maxval=8, seed=fs.random.SeedGenerator(3)))
    assert draws.dtype == np.int32
    assert set(np.unique(draws).tolist()) == {3, 4, 5, 6, 7}
    assert np.all(np.abs(np.bincount(draws - 3) / N - 0.2) < 5 * np.sqrt(0.2 * 0.8 / N))


def test_categorical_draws_each_class_with_its_softmax_probability(fs, precision):
    probabilities = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    logits = np.log(probabilities).astype(precision)
    draws = as_numpy(fs, fs.random.categorical(logits, N // 2, seed=fs.random.SeedGenerator(4)))
    assert draws.shape == (2, N // 2) and draws.dtype == np.int32
    for row, p in zip(draws, probabilities):
        assert np.all(np.abs(np.bincount(row, minlength=3) / row.size - p) < 5 * np.sqrt(p * (1 - p) / row.size))


def test_shuffle_permutes_along_the_axis(fs):
    x = np.arange(20.0).reshape(10, 2)
    shuffled = as_numpy(fs, fs.random.shuffle(x, seed=fs.random.SeedGenerator(4)))
    assert sorted(shuffled[:, 0].tolist()) == x[:, 0].tolist()
    np.testing.assert_array_equal(shuffled[:, 1], shuffled[:, 0] + 1)  # rows move whole
    assert not np.array_equal(shuffled, x)
    columns = as_numpy(fs, fs.random.shuffle(x.T, axis=1, seed=fs.random.SeedGenerator(4)))
    np.testing.assert_array_equal(columns, shuffled.T)  # one permutation rule, whatever the axis


def test_a_shape_may_be_a_tensor_or_hold_tensor_dimensions(fs):
    x = fs.ops.zeros((3, 2))
    assert as_numpy(fs, fs.random.uniform(fs.ops.convert_to_tensor(np.array([3, 2])), seed=1)).shape == (3, 2)
    assert as_numpy(fs, fs.random.normal((fs.ops.shape(x)[0], 4), seed=1)).shape == (3, 4)


# -- seeds and seed states ------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_draws_twice(fs):
    first, second = fs.random.SeedGenerator(42), fs.random.SeedGenerator(42)
    for _ in range(3):
        np.testing.assert_array_equal(as_numpy(fs, fs.random.normal((5,), seed=first)),
                                      as_numpy(fs, fs.random.normal((5,), seed=second)))
    np.testing.assert_array_equal(as_numpy(fs, fs.random.uniform((5,), seed=7)),
                                  as_numpy(fs, fs.random.uniform((5,), seed=7)))
    fs.utils.set_random_seed(11)
    unseeded = as_numpy(fs, fs.random.normal((5,)))
    fs.utils.set_random_seed(11)
    np.testing.assert_array_equal(as_numpy(fs, fs.random.normal((5,))), unseeded)


def test_successive_draws_differ_and_advance_the_state(fs):
    generator = fs.random.SeedGenerator(5)
    assert generator.state.dtype == "uint32" and generator.state.shape == (2,)
    assert not generator.state.trainable
    states, draws = [state_of(generator)], []
    for _ in range(3):
        draws.append(as_numpy(fs, fs.random.normal((4,), seed=generator)))
        states.append(state_of(generator))
    assert states == [[5, 0], [5, 1], [5, 2], [5, 3]]  # Keras 3's [seed, n]
    assert not np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[1], draws[2])
    np.testing.assert_array_equal(draws[0], as_numpy(fs, fs.random.normal((4,), seed=5)))  # an int seed s is [s, 0]
    other = as_numpy(fs, fs.random.normal((4,), seed=fs.random.SeedGenerator(6)))
    assert not np.array_equal(other, draws[0])


def test_set_random_seed_restarts_the_process_wide_seed_state(fs):
    fs.utils.set_random_seed(3)
    first = [as_numpy(fs, fs.random.uniform((3,))) for _ in range(2)]
    assert not np.array_equal(first[0], first[1])
    fs.utils.set_random_seed(3)
    again = [as_numpy(fs, fs.random.uniform((3,))) for _ in range(2)]
    np.testing.assert_array_equal(np.stack(again), np.stack(first))
    fs.utils.set_random_seed(4)
    assert not np.array_equal(as_numpy(fs, fs.random.uniform((3,))), first[0])


# -- the portable generator: the same bits everywhere ------------------------------------------------------------
@settings(max_examples=20)  # each example compiles jax.random's programs for its shape and dtype
@given(seed=WORDS, n=WORDS, shape=SHAPES, data=st.data())
def test_draws_equal_jax_random_bit_for_bit(backend_module, jax_random, seed, n, shape, data):
    """uniform, randint, dropout masks and shuffles are jax.random's draws for the key [seed, n]."""
    fs, (jax, key) = backend_module, jax_random
    dtype = data.draw(st.sampled_from(float_dtypes(fs)), label="dtype")
    low, high = sorted(data.draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2, unique=True)))
    rate = data.draw(st.sampled_from([0.1, 0.25, 0.5, 0.9]), label="rate")
    size = data.draw(st.integers(0, 40), label="size")
    with jax.enable_x64(True):
        expected = {
            "uniform": jax.random.uniform(key(seed, n), shape, dtype=dtype),
            "randint": jax.random.randint(key(seed, n), shape, low, high, dtype="int32"),
            "mask": jax.random.bernoulli(key(seed, n), np.float32(1 - rate), shape),
            "shuffle": np.arange(size)[np.asarray(jax.random.permutation(key(seed, n), size))].astype("int32"),
        }
        if dtype not in ("float64", "float16"):  # XLA may fuse these multiply-adds; fitspec rounds the product (R.6)
            expected["uniform in [low, high)"] = jax.random.uniform(key(seed, n), shape, dtype=dtype,
                                                                    minval=low / 7, maxval=high / 7)
    actual = {
        "uniform": fs.random.uniform(shape, dtype=dtype, seed=at_key(fs, seed, n)),
        "randint": fs.random.randint(shape, low, high, seed=at_key(fs, seed, n)),
        "mask": fs.ops.not_equal(fs.random.dropout(np.ones(shape, "float32"), rate, seed=at_key(fs, seed, n)), 0),
        "shuffle": fs.random.shuffle(np.arange(size, dtype="int32"), seed=at_key(fs, seed, n)),
    }
    if dtype not in ("float64", "float16"):
        actual["uniform in [low, high)"] = fs.random.uniform(shape, low / 7, high / 7, dtype=dtype,
                                                             seed=at_key(fs, seed, n))
    for name, value in expected.items():
        assert_same_bits(as_numpy(fs, actual[name]), np.asarray(value), name)


@settings(max_examples=20)  # five draws an example, each a few hundred ops on eager backends
@given(seed=WORDS, n=WORDS, shape=SHAPES, data=st.data())
def test_every_draw_equals_the_reference_backends_bit_for_bit(backend_module, reference, seed, n, shape, data):
    """Every fs.random function gives the numpy reference's bits for the same key, in every dtype."""
    fs = backend_module
    dtype = data.draw(st.sampled_from([d for d in float_dtypes(fs) if d != "bfloat16"]), label="dtype")
    mean, stddev = data.draw(st.floats(-3, 3), label="mean"), data.draw(st.floats(0.1, 3), label="stddev")
    classes, samples = data.draw(st.integers(1, 5), label="classes"), data.draw(st.integers(0, 6), label="samples")
    logits = np.random.default_rng(seed).normal(size=(2, classes)).astype(dtype)
    calls = {
        "normal": lambda r, s: r.random.normal(shape, mean, stddev, dtype=dtype, seed=s),
        "truncated_normal": lambda r, s: r.random.truncated_normal(shape, mean, stddev, dtype=dtype, seed=s),
        "uniform": lambda r, s: r.random.uniform(shape, -abs(mean) - 1, stddev, dtype=dtype, seed=s),
        # the logits as the backend holds them (JAX without x64 holds float64 ones in float32)
        "categorical": lambda r, s: r.random.categorical(as_numpy(fs, fs.ops.convert_to_tensor(logits)), samples,
                                                         seed=s),
        "randint": lambda r, s: r.random.randint(shape, -2**31, 2**31 - 1, seed=s),
    }
    for name, call in calls.items():
        expected = as_numpy(reference, call(reference, at_key(reference, seed, n)))
        assert_same_bits(as_numpy(fs, call(fs, at_key(fs, seed, n))), expected, f"{name} ({dtype})")


def test_normal_draws_are_the_normal_quantiles_of_jax_uniforms(fs, jax_random, precision):
    """normal = sqrt(2) erfinv(u) = Phi^-1((u + 1) / 2), u jax.random.normal's uniform in (-1, 1); Phi^-1 to within
    a float64 ulp or two, so float32 draws are Phi^-1 correctly rounded, bar ties."""
    jax, key = jax_random
    below_one = float(np.nextafter(np.array(1.0, precision), 0))
    with jax.enable_x64(True):
        u = np.asarray(jax.random.uniform(key(9, 4), (2000,), dtype=precision, minval=-below_one, maxval=1.0))
        jax_normal = np.asarray(jax.random.normal(key(9, 4), (2000,), dtype=precision))
    exact = np.array([statistics.NormalDist().inv_cdf((float(v) + 1) / 2) for v in u])
    draws = as_numpy(fs, fs.random.normal((2000,), dtype=precision, seed=at_key(fs, 9, 4)))
    if precision == "float64":
        np.testing.assert_allclose(draws, exact, rtol=4e-15, atol=1e-300)
    else:
        ulps = np.abs(draws - exact.astype(precision)) / np.spacing(np.abs(exact.astype(precision)))
        assert ulps.max() <= 1
    # jax.random.normal evaluates erf_inv by XLA's approximation: the same draw, a few float32 ulps away
    np.testing.assert_allclose(draws, jax_normal, rtol=1e-5 if precision == "float32" else 1e-11, atol=1e-6)


def _probe_model(fs, seed):
    """A model whose output is fs.random's draws (a normal and a dropout mask) from a SeedGenerator it owns."""

    class Probe(fs.layers.Layer):
        def __init__(self):
            super().__init__()
            self.seed_generator = fs.random.SeedGenerator(seed)

        def call(self, x):
            noise = fs.random.normal(fs.ops.shape(x), dtype="float32", seed=self.seed_generator)
            kept = fs.random.dropout(fs.ops.ones_like(x), 0.5, seed=self.seed_generator)
            return fs.ops.concatenate([fs.ops.cast(noise, x.dtype), kept], axis=-1)

    inputs = fs.Input(shape=(3,))
    return fs.Model(inputs, Probe()(inputs))


@pytest.mark.parametrize("flags", [{"run_eagerly": True}, {}, {"jit_compile": True}, {"steps_per_execution": 2}],
                         ids=["eager", "compiled", "jit_compile", "steps_per_execution"])
def test_draws_inside_compiled_steps_equal_the_reference_draws(fs, reference, flags):
    """jax.jit, lax.scan, tf.function, XLA and torch.compile draw the same bits as eager numpy."""
    x = np.zeros((8, 3))
    model = _probe_model(fs, 21)
    model.compile(loss="mse", **flags)
    actual = model.predict(x, batch_size=2, verbose=0)
    expected = []
    generator = reference.random.SeedGenerator(21)
    for _ in range(4):  # the batches, one draw pair each
        noise = as_numpy(reference, reference.random.normal((2, 3), dtype="float32", seed=generator))
        kept = as_numpy(reference, reference.random.dropout(np.ones((2, 3)), 0.5, seed=generator))
        expected.append(np.concatenate([noise, kept], axis=-1))
    assert_same_bits(actual.astype("float32"), np.concatenate(expected).astype("float32"), "predict draws")


def test_float32_and_float64_models_draw_the_same_dropout_masks(backend_module):
    fs = backend_module
    masks = []
    for dtype in ("float32", "float64"):
        layer = fs.layers.Dropout(0.3, seed=8, dtype=dtype)
        masks.append(as_numpy(fs, layer(np.ones((40, 10), dtype=dtype), training=True)) != 0)
    np.testing.assert_array_equal(masks[0], masks[1])


# -- inside steps: unseeded draws advance ---------------------------------------------------------------------
def _unseeded_noise_model(fs):
    """A layer adding unseeded noise in every call: the process-wide seed state, carried by the step."""

    class UnseededNoise(fs.layers.Layer):
        def call(self, x):
            return x + fs.ops.cast(fs.random.normal(fs.ops.shape(x), dtype="float32"), x.dtype)

    inputs = fs.Input(shape=(2,))
    return fs.Model(inputs, fs.layers.Dense(1, kernel_initializer="ones")(UnseededNoise()(inputs)))


UNSEEDED_FLAGS = {"eager": {"run_eagerly": True}, "compiled": {}, "steps_per_execution": {"steps_per_execution": 2}}


@pytest.mark.parametrize("flags", list(UNSEEDED_FLAGS.values()), ids=list(UNSEEDED_FLAGS))
def test_unseeded_draws_in_a_layer_differ_from_step_to_step(fs, flags):
    model = _unseeded_noise_model(fs)
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.0), loss="mse", **flags)  # lr 0: only the noise moves
    losses = []

    class Record(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(logs["loss"])

    x, y = np.ones((16, 2)), np.zeros((16, 1))
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[Record()])
    assert len(set(losses)) == len(losses), f"every step must draw new noise; losses {losses}"


@pytest.mark.parametrize("run_eagerly", [True, False], ids=["eager", "compiled"])
def test_unseeded_draws_differ_from_predict_batch_to_predict_batch(fs, run_eagerly):
    model = _unseeded_noise_model(fs)
    model.compile(loss="mse", run_eagerly=run_eagerly)
    first = model.predict(np.ones((8, 2)), batch_size=2, verbose=0)
    second = model.predict(np.ones((8, 2)), batch_size=2, verbose=0)
    assert len(set(first.ravel().tolist())) == 8, "every predict batch must draw new noise"
    assert not np.array_equal(first, second)


# -- inside compiled steps: a SeedGenerator's state travels with the step ---------------------------------------
def _dropout_model(fs):
    inputs = fs.Input(shape=(4,))
    hidden = fs.layers.Dense(16, activation="relu")(inputs)
    hidden = fs.layers.Dropout(0.2, seed=3, name="dropout")(hidden)
    return fs.Model(inputs, fs.layers.Dense(1)(hidden))


def _regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4))
    return x, x @ np.array([[1.0], [-2.0], [0.5], [1.5]])


FIT_FLAGS = {
    "compiled": {},  # numpy: the Python loop; jax: jax.jit; tensorflow: tf.function; torch: eager
    "steps_per_execution": {"steps_per_execution": 3},  # jax: lax.scan; tensorflow: a tf.while_loop
    "eager": {"run_eagerly": True},
    "jit_compile": {"jit_compile": True},  # tensorflow: XLA; torch: torch.compile
}


@pytest.mark.parametrize("flags", list(FIT_FLAGS.values()), ids=list(FIT_FLAGS))
def test_a_model_with_dropout_trains_with_fit(fs, backend_name, flags):
    if backend_name == "torch" and flags.get("jit_compile"):
        pytest.importorskip("torch._inductor", reason="torch.compile needs inductor")
    x, y = _regression_data()
    model = _dropout_model(fs)
    model.compile(optimizer=fs.optimizers.Adam(learning_rate=0.01), loss="mse", **flags)
    generator = model.get_layer("dropout").seed_generator
    before_loss = model.evaluate(x, y, verbose=0)
    before_state = state_of(generator)
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert state_of(generator) == [3, before_state[1] + 6 * 8]  # one draw per step
    after_fit = state_of(generator)
    after_loss = model.evaluate(x, y, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert after_loss < 0.5 * before_loss
    assert model.evaluate(x, y, verbose=0) == after_loss  # inference draws nothing
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert state_of(generator) == after_fit


def _noisy_target_model(fs, backend_name):
    """The GAN pattern: a model-owned SeedGenerator drawn in train_step itself, outside any layer."""
    if backend_name in ("numpy", "jax"):

        class NoisyTargets(fs.Model):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.seed_generator = fs.random.SeedGenerator(1337)

            def train_step(self, state, data):
                x, y = data
                batch_size = fs.ops.shape(x)[0]
                noise = fs.random.normal(shape=(batch_size, 1), seed=self.seed_generator)
                flips = fs.random.uniform(shape=(batch_size, 1), seed=self.seed_generator)
                logs, state = super().train_step(state, (x, y + 0.05 * noise))
                return {**logs, "noise": fs.ops.mean(noise), "flips": fs.ops.mean(flips)}, state

    else:

        class NoisyTargets(fs.Model):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.seed_generator = fs.random.SeedGenerator(1337)

            def train_step(self, data):
                x, y = data
                batch_size = fs.ops.shape(x)[0]
                noise = fs.random.normal(shape=(batch_size, 1), seed=self.seed_generator)
                flips = fs.random.uniform(shape=(batch_size, 1), seed=self.seed_generator)
                logs = super().train_step((x, y + 0.05 * noise))
                return {**logs, "noise": fs.ops.mean(noise), "flips": fs.ops.mean(flips)}

    inputs = fs.Input(shape=(4,))
    return NoisyTargets(inputs, fs.layers.Dense(1)(inputs))


@pytest.mark.parametrize("flags", [FIT_FLAGS["compiled"], FIT_FLAGS["steps_per_execution"], FIT_FLAGS["eager"]],
                         ids=["compiled", "steps_per_execution", "eager"])
def test_a_seed_generator_drawn_in_a_custom_train_step_advances_every_step(fs, backend_name, flags):
    x, y = _regression_data()
    model = _noisy_target_model(fs, backend_name)
    model.compile(optimizer="adam", loss="mse", **flags)
    states = [state_of(model.seed_generator)]
    noise, flips = [], []
    for _ in range(3):
        history = model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
        states.append(state_of(model.seed_generator))
        noise.append(history.history["noise"][0])
        flips.append(history.history["flips"][0])
    assert states == [[1337, 6 * epoch] for epoch in range(4)], "two draws in each of the three steps of an epoch"
    assert len(set(noise)) == 3, f"every epoch must draw new noise; the last batch's means: {noise}"
    assert all(0.0 < f < 1.0 for f in flips)
    assert "seed_generator_state" in {v.name for v in model.non_trainable_variables}


# -- Dropout and seed states -------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_zeroes_a_rate_fraction_and_scales_the_kept_entries(fs, rate):
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(N // 100, 100)).astype(fs.config.floatx())
    outputs = as_numpy(fs, fs.random.dropout(x, rate, seed=fs.random.SeedGenerator(8)))
    dropped = outputs == 0
    assert outputs.dtype == x.dtype
    assert abs(dropped.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / N)
    # x / (1 - rate), up to the last bit (XLA multiplies by the reciprocal)
    np.testing.assert_allclose(outputs[~dropped], (x / (1.0 - rate))[~dropped], rtol=2 * np.finfo(x.dtype).eps)


def test_dropout_noise_shape_broadcasts_one_draw(fs):
    x = np.ones((2000, 8))
    outputs = as_numpy(fs, fs.random.dropout(x, 0.5, noise_shape=(None, 1), seed=fs.random.SeedGenerator(9)))
    assert set(np.unique(outputs).tolist()) == {0.0, 2.0}
    assert np.all(outputs == outputs[:, :1])  # a whole row is kept or dropped
    assert abs((outputs[:, 0] == 0).mean() - 0.5) < 5 * np.sqrt(0.25 / 2000)


def test_the_dropout_layer_is_the_identity_in_inference(fs):
    layer = fs.layers.Dropout(0.5, seed=1)
    x = np.random.default_rng(1).random((50, 20))
    before = state_of(layer.seed_generator)
    for outputs in (layer(x), layer(x, training=False)):
        np.testing.assert_array_equal(as_numpy(fs, outputs), as_numpy(fs, fs.ops.convert_to_tensor(
            x, dtype=fs.config.floatx())))
    assert state_of(layer.seed_generator) == before
    trained = as_numpy(fs, layer(x, training=True))
    assert abs((trained == 0).mean() - 0.5) < 5 * np.sqrt(0.25 / x.size)
    assert state_of(layer.seed_generator) != before


def test_a_seed_state_is_a_variable_but_not_a_weight(fs):
    layer = fs.layers.Dropout(0.3, noise_shape=(None, 1), seed=3)
    assert layer.weights == [] and layer.get_weights() == [] and layer.count_params() == 0
    assert [v.name for v in layer.variables] == ["seed_generator_state"]
    assert [v.dtype for v in layer.non_trainable_variables] == ["uint32"]
    assert layer.get_config()["rate"] == 0.3 and layer.get_config()["noise_shape"] == [None, 1]
    assert fs.layers.Dropout(0.0).variables == []
    model = _dropout_model(fs)
    assert len(model.get_weights()) == 4 and model.count_params() == 4 * 16 + 16 + 16 + 1  # Keras 3's counts
    assert len(model.non_trainable_variables) == 1 and model.non_trainable_weights == []
    model.set_weights([np.full(w.shape, 0.5) for w in model.get_weights()])  # Keras's list of arrays fits
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 97" in line for line in lines)


def test_a_dropout_model_saves_and_loads_with_its_seed_state(fs, tmp_path):
    x, y = _regression_data()
    model = _dropout_model(fs)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "dropout.keras")
    model.save_weights(tmp_path / "dropout.weights.safetensors")
    loaded = fs.models.load_model(tmp_path / "dropout.keras")
    layer = loaded.get_layer("dropout")
    assert (layer.rate, layer.seed) == (0.2, 3)
    assert state_of(layer.seed_generator) == state_of(model.get_layer("dropout").seed_generator) == [3, 3]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    fresh = _dropout_model(fs)
    fresh.load_weights(tmp_path / "dropout.weights.safetensors")
    assert state_of(fresh.get_layer("dropout").seed_generator) == [3, 3]
    # the next masks are the ones the saved model would have drawn
    np.testing.assert_array_equal(as_numpy(fs, fresh(x, training=True)), as_numpy(fs, model(x, training=True)))


# -- the native opt-out -----------------------------------------------------------------------------------------
def test_the_native_implementation_is_an_opt_out(fs, backend_name):
    assert fs.config.random_implementation() == "portable"
    portable = as_numpy(fs, fs.random.normal((1000,), seed=at_key(fs, 5, 0)))
    fs.config.set_random_implementation("native")
    try:
        native = as_numpy(fs, fs.random.normal((1000,), seed=at_key(fs, 5, 0)))
        np.testing.assert_array_equal(native, as_numpy(fs, fs.random.normal((1000,), seed=at_key(fs, 5, 0))))
        if backend_name != "jax":  # jax's own normal is a few ulps from the portable one; the others draw anew
            assert np.mean(np.abs(native - portable) > 0.1) > 0.5
        assert abs(native.mean()) < 5 / np.sqrt(1000)
        layer = fs.layers.Dropout(0.5, seed=1)
        dropped = as_numpy(fs, layer(np.ones((100, 10)), training=True)) == 0
        assert abs(dropped.mean() - 0.5) < 5 * np.sqrt(0.25 / 1000)
    finally:
        fs.config.set_random_implementation("portable")
    np.testing.assert_array_equal(as_numpy(fs, fs.random.normal((1000,), seed=at_key(fs, 5, 0))), portable)
    with pytest.raises(ValueError, match=r"set_random_implementation: argument `name` expected one of "
                                         r"\('portable', 'native'\); received 'fast'"):
        fs.config.set_random_implementation("fast")


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True])
def test_a_dropout_rate_outside_0_1_is_refused(fs, rate):
    with pytest.raises(ValueError, match=r"Dropout: argument `rate` expected a float in \[0, 1\); received"):
        fs.layers.Dropout(rate)
    with pytest.raises(ValueError, match=r"random.dropout: argument `rate` expected a float in \[0, 1\)"):
        fs.random.dropout(np.ones((2, 2)), rate, seed=1)


@pytest.mark.parametrize("seed", ["abc", 1.5, -1, 2**32, [1, 2]])
def test_a_seed_that_is_not_an_int_or_a_seed_generator_is_refused(fs, seed):
    with pytest.raises(ValueError, match=r"random.normal: argument `seed` expected .*; received"):
        fs.random.normal((2,), seed=seed)
    with pytest.raises(ValueError, match=r"SeedGenerator: argument `seed` expected an int in \[0, 2\*\*32\)"):
        fs.random.SeedGenerator(seed)
    with pytest.raises(ValueError, match=r"Dropout: argument `seed` expected an int"):
        fs.layers.Dropout(0.5, seed=seed)


def test_bad_shapes_and_dtypes_name_the_argument(fs):
    with pytest.raises(ValueError, match=r"random.normal: argument `shape` expected a tuple of non-negative ints"):
        fs.random.normal((2, -1), seed=1)
    with pytest.raises(ValueError, match=r"random.normal: argument `stddev` expected a finite number"):
        fs.random.normal((2,), stddev=fs.ops.ones((2,)), seed=1)
    with pytest.raises(ValueError, match=r"random.uniform: argument `dtype` expected a float dtype"):
        fs.random.uniform((2,), dtype="int32", seed=1)
    with pytest.raises(ValueError, match=r"random.randint: argument `dtype` expected an integer dtype"):
        fs.random.randint((2,), 0, 5, dtype="float32", seed=1)
    with pytest.raises(ValueError, match=r"random.randint: argument `maxval` expected an int above minval=5"):
        fs.random.randint((2,), 5, 5, seed=1)
    with pytest.raises(ValueError, match=r"random.randint: argument `maxval` expected an int in \[-2147483648, "):
        fs.random.randint((2,), 0, 2**40, dtype="int64", seed=1)
    with pytest.raises(ValueError, match=r"random.randint: argument `dtype` expected an integer dtype holding"):
        fs.random.randint((2,), 0, 300, dtype="uint8", seed=1)
    with pytest.raises(ValueError, match=r"random.categorical: argument `logits` expected a 2-D float tensor"):
        fs.random.categorical(np.zeros(3), 2, seed=1)
    with pytest.raises(ValueError, match=r"random.dropout: argument `noise_shape` expected a tuple of 2 entries"):
        fs.random.dropout(np.ones((2, 2)), 0.5, noise_shape=(1,), seed=1)
    with pytest.raises(ValueError, match=r"Dropout: argument `noise_shape` expected None or a tuple"):
        fs.layers.Dropout(0.5, noise_shape=5)
    with pytest.raises(TypeError, match="SeedGenerator is not callable"):
        fs.random.SeedGenerator(1)(np.ones(2))

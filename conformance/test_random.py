"""fs.random and Dropout: statistics, not values (each backend draws from its own generator).

The bounds are five standard errors of the statistic, so a correct generator fails them about
once in two million runs; the seeds are fixed, so a run is repeatable on one backend.
"""

from __future__ import annotations

import numpy as np
import pytest

N = 100_000


def as_numpy(fs, x) -> np.ndarray:
    return np.asarray(fs.ops.convert_to_numpy(x))


def state_of(generator) -> list[int]:
    return generator.state.numpy().tolist()


# -- draws -------------------------------------------------------------------------------------------
def test_normal_has_the_requested_mean_and_stddev(fs, precision):
    draws = as_numpy(fs, fs.random.normal((N,), mean=2.0, stddev=3.0, seed=fs.random.SeedGenerator(1)))
    assert draws.shape == (N,) and draws.dtype == np.dtype(precision)
    assert abs(draws.mean() - 2.0) < 5 * 3.0 / np.sqrt(N)
    assert abs(draws.std() - 3.0) < 5 * 3.0 / np.sqrt(2 * N)
    assert abs(np.mean(np.abs(draws - 2.0) < 3.0) - 0.6827) < 5 * np.sqrt(0.6827 * 0.3173 / N)


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


def test_shuffle_permutes_along_the_axis(fs):
    x = np.arange(20.0).reshape(10, 2)
    shuffled = as_numpy(fs, fs.random.shuffle(x, seed=fs.random.SeedGenerator(4)))
    assert sorted(shuffled[:, 0].tolist()) == x[:, 0].tolist()
    np.testing.assert_array_equal(shuffled[:, 1], shuffled[:, 0] + 1)  # rows move whole
    assert not np.array_equal(shuffled, x)


def test_a_shape_may_be_a_tensor_or_hold_tensor_dimensions(fs):
    x = fs.ops.zeros((3, 2))
    assert as_numpy(fs, fs.random.uniform(fs.ops.convert_to_tensor(np.array([3, 2])), seed=1)).shape == (3, 2)
    assert as_numpy(fs, fs.random.normal((fs.ops.shape(x)[0], 4), seed=1)).shape == (3, 4)


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
    assert len({tuple(s) for s in states}) == 4
    assert not np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[1], draws[2])
    other = as_numpy(fs, fs.random.normal((4,), seed=fs.random.SeedGenerator(6)))
    assert not np.array_equal(other, draws[0])


# -- Dropout -----------------------------------------------------------------------------------------
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


def test_the_dropout_layer_owns_one_non_trainable_seed_state(fs):
    layer = fs.layers.Dropout(0.3, noise_shape=(None, 1), seed=3)
    assert layer.trainable_weights == []
    assert [v.dtype for v in layer.non_trainable_weights] == ["uint32"]
    assert layer.get_config()["rate"] == 0.3 and layer.get_config()["noise_shape"] == [None, 1]
    assert fs.layers.Dropout(0.0).weights == []


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
    assert state_of(generator) != before_state
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
    assert len({tuple(s) for s in states}) == 4, "the generator's state must advance in every fit"
    assert len(set(noise)) == 3, f"every epoch must draw new noise; the last batch's means: {noise}"
    assert all(0.0 < f < 1.0 for f in flips)
    assert "seed_generator_state" in {v.name for v in model.non_trainable_variables}


def test_a_dropout_model_saves_and_loads_with_its_seed_state(fs, tmp_path):
    x, y = _regression_data()
    model = _dropout_model(fs)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "dropout.keras")
    loaded = fs.models.load_model(tmp_path / "dropout.keras")
    layer = loaded.get_layer("dropout")
    assert (layer.rate, layer.seed) == (0.2, 3)
    assert state_of(layer.seed_generator) == state_of(model.get_layer("dropout").seed_generator)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True])
def test_a_dropout_rate_outside_0_1_is_refused(fs, rate):
    with pytest.raises(ValueError, match=r"Dropout: argument `rate` expected a float in \[0, 1\); received"):
        fs.layers.Dropout(rate)
    with pytest.raises(ValueError, match=r"random.dropout: argument `rate` expected a float in \[0, 1\)"):
        fs.random.dropout(np.ones((2, 2)), rate, seed=1)


@pytest.mark.parametrize("seed", ["abc", 1.5, -1, 2**64, [1, 2]])
def test_a_seed_that_is_not_an_int_or_a_seed_generator_is_refused(fs, seed):
    with pytest.raises(ValueError, match=r"random.normal: argument `seed` expected .*; received"):
        fs.random.normal((2,), seed=seed)
    with pytest.raises(ValueError, match=r"SeedGenerator: argument `seed` expected an int in \[0, 2\*\*64\)"):
        fs.random.SeedGenerator(seed)
    with pytest.raises(ValueError, match=r"Dropout: argument `seed` expected an int"):
        fs.layers.Dropout(0.5, seed=seed)


def test_bad_shapes_and_dtypes_name_the_argument(fs):
    with pytest.raises(ValueError, match=r"random.normal: argument `shape` expected a tuple of non-negative ints"):
        fs.random.normal((2, -1), seed=1)
    with pytest.raises(ValueError, match=r"random.uniform: argument `dtype` expected a float dtype"):
        fs.random.uniform((2,), dtype="int32", seed=1)
    with pytest.raises(ValueError, match=r"random.randint: argument `dtype` expected an integer dtype"):
        fs.random.randint((2,), 0, 5, dtype="float32", seed=1)
    with pytest.raises(ValueError, match=r"random.randint: argument `maxval` expected an int above minval=5"):
        fs.random.randint((2,), 5, 5, seed=1)
    with pytest.raises(ValueError, match=r"random.dropout: argument `noise_shape` expected a tuple of 2 entries"):
        fs.random.dropout(np.ones((2, 2)), 0.5, noise_shape=(1,), seed=1)
    with pytest.raises(ValueError, match=r"Dropout: argument `noise_shape` expected None or a tuple"):
        fs.layers.Dropout(0.5, noise_shape=5)
    with pytest.raises(TypeError, match="SeedGenerator is not callable"):
        fs.random.SeedGenerator(1)(np.ones(2))

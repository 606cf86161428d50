"""fs.random: statistics, seeds, and SeedGenerator state inside compiled steps."""

import jax
import numpy as np
import pytest


def _state_after(seed: int, draws: int) -> np.ndarray:
    """A SeedGenerator's state after `draws` draws: Keras 3's [seed, n]."""
    return np.array([seed, draws], dtype="uint32")


def test_normal_and_uniform_have_the_requested_statistics(fs):
    seed = fs.random.SeedGenerator(1)
    normal = np.asarray(fs.random.normal((20000,), mean=2.0, stddev=3.0, seed=seed))
    uniform = np.asarray(fs.random.uniform((20000,), minval=-1.0, maxval=3.0, seed=seed))
    assert normal.dtype == np.float32 and uniform.dtype == np.float32
    assert abs(normal.mean() - 2.0) < 0.1 and abs(normal.std() - 3.0) < 0.1
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.05


def test_a_seed_generator_advances_and_an_int_seed_repeats(fs):
    seed = fs.random.SeedGenerator(5)
    first, second = (np.asarray(fs.random.normal((4,), seed=seed)) for _ in range(2))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(seed.state.numpy(), _state_after(5, 2))
    key = jax.random.wrap_key_data(np.array([5, 1], dtype="uint32"), impl="threefry2x32")
    np.testing.assert_allclose(second, jax.random.normal(key, (4,)), rtol=1e-5)  # erf_inv: a few ulps apart
    np.testing.assert_array_equal(fs.random.uniform((3,), seed=11), fs.random.uniform((3,), seed=11))


def test_a_bad_seed_names_the_argument(fs):
    with pytest.raises(ValueError, match=r"random.normal: argument `seed` expected .*; received 'abc'"):
        fs.random.normal((2,), seed="abc")
    with pytest.raises(ValueError, match=r"SeedGenerator: argument `seed` expected an int in \[0, 2\*\*32\)"):
        fs.random.SeedGenerator(-1)


def _noise_layer(fs):
    class Noise(fs.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = fs.random.SeedGenerator(9)

        def call(self, inputs, training=None):
            if training:
                return inputs + fs.random.normal(fs.ops.shape(inputs), stddev=0.1, seed=self.seed_generator)
            return inputs

    return Noise()


def test_seed_generator_state_travels_through_stateless_call_under_jit(fs):
    layer = _noise_layer(fs)
    assert [v.path for v in layer.non_trainable_variables] == [f"{layer.seed_generator.name}/seed_generator_state"]
    x = np.zeros((2, 3), dtype="float32")
    call = jax.jit(lambda nt, x: layer.stateless_call([], nt, x, training=True))
    state = [v.value for v in layer.non_trainable_variables]
    first, state_1 = call(state, x)
    second, state_2 = call(state_1, x)
    assert not np.array_equal(np.asarray(first), np.asarray(second))
    np.testing.assert_array_equal(np.asarray(state_2[0]), _state_after(9, 2))
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), _state_after(9, 0))


@pytest.mark.parametrize("flags", [{}, {"steps_per_execution": 3}, {"run_eagerly": True}])
def test_a_noise_layer_advances_its_seed_once_per_training_step_in_fit(fs, data, flags):
    inputs = fs.Input(shape=(4,))
    noise = _noise_layer(fs)
    model = fs.Model(inputs, fs.layers.Dense(1)(noise(inputs)))
    model.compile(optimizer="sgd", loss="mse", **flags)
    model.fit(*data, batch_size=20, epochs=2, verbose=0)
    np.testing.assert_array_equal(noise.seed_generator.state.numpy(), _state_after(9, 10))
    model.predict(data[0], verbose=0)  # training=False: no draw
    np.testing.assert_array_equal(noise.seed_generator.state.numpy(), _state_after(9, 10))


@pytest.mark.parametrize("flags", [{}, {"steps_per_execution": 3}, {"run_eagerly": True}])
def test_a_model_owned_seed_generator_used_in_train_step_advances_each_step(fs, data, dense_model, flags):
    """The GAN pattern: draws in train_step itself, outside stateless_call."""
    draws = []

    class WithNoise(fs.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seed_generator = fs.random.SeedGenerator(4)

        def train_step(self, state, data):
            x, y = data
            noise = fs.random.normal((fs.ops.shape(x)[0], 1), seed=self.seed_generator)
            logs, state = super().train_step(state, (x, y + 0.01 * noise))
            draws.append(noise)
            return {**logs, "noise": fs.ops.mean(noise)}, state

    model = dense_model(WithNoise)
    model.compile(optimizer="sgd", loss="mse", **flags)
    history = model.fit(*data, batch_size=20, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.seed_generator.state.numpy(), _state_after(4, 10))
    assert history.history["noise"][0] != history.history["noise"][1]


@pytest.mark.parametrize("flags", [{}, {"steps_per_execution": 2}, {"run_eagerly": True}])
def test_an_unseeded_draw_in_a_train_step_advances_the_process_wide_state(fs, data, dense_model, flags):
    class Unseeded(fs.Model):
        def train_step(self, state, data):
            x, y = data
            noise = fs.random.normal(fs.ops.shape(y))
            logs, state = super().train_step(state, (x, y + noise))
            return {**logs, "noise": fs.ops.mean(noise)}, state

    state = fs.random._draws.global_state
    word, before = state.numpy()
    model = dense_model(Unseeded)
    model.compile(optimizer="sgd", loss="mse", **flags)
    history = model.fit(*data, batch_size=50, epochs=2, verbose=0)
    np.testing.assert_array_equal(state.numpy(), [word, before + 4])  # one draw in each of 2 x 2 steps
    assert history.history["noise"][0] != history.history["noise"][1]


def test_an_unseeded_draw_under_a_jit_that_does_not_carry_the_seed_state_is_refused(fs):
    layer = fs.layers.Dense(2)
    layer.build((None, 3))

    def noisy(trainable, x):
        outputs, _ = layer.stateless_call(trainable, [], x + fs.random.normal((3,)))
        return outputs

    with pytest.raises(RuntimeError, match="does not carry the process-wide seed state .* Pass `seed=` a"):
        jax.jit(noisy)([v.value for v in layer.trainable_variables], np.ones((1, 3), "float32"))

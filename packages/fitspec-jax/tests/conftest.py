"""Fixtures of fitspec-jax's own tests: the package at float32, restored after each test."""

import numpy as np
import pytest

import fitspec_jax


@pytest.fixture
def fs():
    before = fitspec_jax.config.floatx()
    fitspec_jax.config.set_floatx("float32")
    fitspec_jax.utils.set_random_seed(7)
    yield fitspec_jax
    fitspec_jax.config.set_floatx(before)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((100, 4)), rng.random((100, 1))


@pytest.fixture
def dense_model(fs):
    """`dense_model(model_class=None, features=4)`: Input -> Dense(1), functional."""

    def build(model_class=None, features=4, units=1):
        inputs = fs.Input(shape=(features,))
        outputs = fs.layers.Dense(units)(inputs)
        return (model_class or fs.Model)(inputs, outputs)

    return build

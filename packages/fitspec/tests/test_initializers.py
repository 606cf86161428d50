"""Initializers draw from numpy: their distributions and their determinism."""

import numpy as np
import pytest

from fitspec import initializers, seeding


def test_glorot_uniform_is_bounded_by_its_limit_and_fills_it():
    values = initializers.GlorotUniform(seed=1)((400, 100))
    limit = np.sqrt(6 / (400 + 100))
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.99 * limit


def test_he_normal_has_stddev_sqrt_2_over_fan_in_and_is_truncated():
    values = initializers.HeNormal(seed=2)((1000, 300))
    assert np.abs(values.std() - np.sqrt(2 / 1000)) < 0.02 * np.sqrt(2 / 1000)
    assert np.abs(values).max() <= 2 * np.sqrt(2 / 1000) / 0.87962566103423978


def test_a_seed_gives_the_same_values_and_the_stream_is_reproducible():
    a = initializers.RandomNormal(seed=3)((5,))
    np.testing.assert_array_equal(a, initializers.RandomNormal(seed=3)((5,)))
    seeding.set_random_seed(9)
    first = initializers.GlorotUniform()((3, 3))
    seeding.set_random_seed(9)
    np.testing.assert_array_equal(first, initializers.GlorotUniform()((3, 3)))


def test_fans_count_the_receptive_field():
    assert initializers.compute_fans((3, 3, 8, 16)) == (72.0, 144.0)
    assert initializers.compute_fans((5,)) == (5.0, 5.0)


@pytest.mark.parametrize("bad", ["glorot", 3, None])
def test_unknown_initializer_names_what_exists(bad):
    with pytest.raises(ValueError, match="identifier"):
        initializers.get(bad)


def test_set_random_seed_rejects_non_integers():
    with pytest.raises(ValueError, match=r"`seed`.*non-negative int.*received 1\.5"):
        seeding.set_random_seed(1.5)

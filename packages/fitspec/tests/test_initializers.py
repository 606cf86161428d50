"""Initializers draw from numpy: their distributions and their determinism."""

import numpy as np
import pytest

from fitspec import initializers, seeding
from fitspec.initializers import windows


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


def test_fans_count_the_receptive_field_or_the_axes_given():
    assert initializers.compute_fans((3, 3, 8, 16)) == (72, 144)
    assert initializers.compute_fans((5,)) == (5, 5)
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((4, 5, 6), input_axes=[0, 1], output_axes=[2]) == (20, 6)
    assert initializers.compute_fans((4, 5, 6), input_axes=[0, 1]) == (20, 24)  # both or neither, as Keras


@pytest.mark.parametrize("bad", ["glorot", 3])
def test_unknown_initializer_names_what_exists(bad):
    with pytest.raises(ValueError, match="identifier"):
        initializers.get(bad)


def test_none_is_no_initializer_as_in_keras():
    assert initializers.get(None) is None


@pytest.mark.parametrize("name", sorted(windows.WINDOWS))
def test_every_window_equals_scipys_get_window(name):
    """STFT's windows are computed without scipy; scipy (installed with scikit-learn) is the reference."""
    import scipy.signal

    # exponential and taylor sum and exponentiate in a fixed order (math.exp, in-order sums) where scipy's numpy exp
    # and BLAS matmul follow the CPU: equal to its last bit or two
    rtol = 5e-16 if name in ("exponential", "poisson", "taylor", "taylorwin") else 0.0
    for n in (*range(1, 18), 31, 64, 257):
        for periodic in (False, True):
            np.testing.assert_allclose(windows.get_window(name, n, periodic),
                                       scipy.signal.get_window(name, n, periodic), rtol=rtol, atol=0,
                                       err_msg=f"{name}, {n}")


def test_the_window_names_are_those_scipy_takes_without_parameters():
    import scipy.signal

    for name in windows.WINDOWS:
        scipy.signal.get_window(name, 4)
    for name in ("kaiser", "gaussian", "chebwin", "dpss", "general_cosine"):
        with pytest.raises(ValueError):
            scipy.signal.get_window(name, 4)
        assert name not in windows.WINDOWS


def test_set_random_seed_rejects_non_integers():
    with pytest.raises(ValueError, match=r"`seed`.*non-negative int.*received 1\.5"):
        seeding.set_random_seed(1.5)

"""Initializers (docs/SPEC.md 3.3): Keras 3's formulas, by every name Keras accepts, the same arrays on every backend.

The random ones are checked by their statistics (mean, variance, bounds, orthogonality), the deterministic ones
against closed forms; `conformance/crosscheck_weight_options.py` (area "initializers") compares both with Keras 3
itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

#: every string Keras 3.15's `initializers.get` resolves (class names, snake_case names, aliases), by class
KERAS_NAMES = {
    "Constant": ["Constant", "constant"], "GlorotNormal": ["GlorotNormal", "glorot_normal"],
    "GlorotUniform": ["GlorotUniform", "glorot_uniform"], "HeNormal": ["HeNormal", "he_normal"],
    "HeUniform": ["HeUniform", "he_uniform"], "Identity": ["Identity", "identity", "IdentityInitializer"],
    "LecunNormal": ["LecunNormal", "lecun_normal"], "LecunUniform": ["LecunUniform", "lecun_uniform"],
    "Ones": ["Ones", "ones", "one"], "Orthogonal": ["Orthogonal", "orthogonal", "OrthogonalInitializer"],
    "RandomNormal": ["RandomNormal", "random_normal", "normal"],
    "RandomUniform": ["RandomUniform", "random_uniform", "uniform"],
    "STFT": ["STFT", "stft", "STFTInitializer"], "TruncatedNormal": ["TruncatedNormal", "truncated_normal"],
    "VarianceScaling": ["VarianceScaling", "variance_scaling"], "Zeros": ["Zeros", "zeros", "zero"],
}


def weights_of(fs, layer, input_shape):
    model = fs.Sequential([fs.Input(shape=input_shape), layer])
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("class_name", sorted(KERAS_NAMES))
def test_every_keras_name_builds_a_layer_kernel_by_name(fs, class_name, precision):
    conv = class_name == "STFT"  # a (frame, 1, bins) kernel: a Conv1D on one channel
    expected = None
    for name in KERAS_NAMES[class_name]:
        initializer = fs.initializers.get(name)
        assert type(initializer).__name__ == class_name, name
        layer = (fs.layers.Conv1D(5, 8, kernel_initializer=name) if conv
                 else fs.layers.Dense(4, kernel_initializer=name))
        kernel = weights_of(fs, layer, (16, 1) if conv else (4,))[0]
        assert kernel.dtype == np.dtype(precision) and kernel.shape == ((8, 1, 5) if conv else (4, 4)), name
        if class_name in ("Constant", "Identity", "Ones", "STFT", "Zeros"):
            expected = kernel if expected is None else expected
            np.testing.assert_array_equal(kernel, expected, err_msg=name)


def test_get_accepts_every_form_keras_accepts(fs):
    inits = fs.initializers
    assert inits.get(None) is None
    orthogonal = inits.Orthogonal(gain=2.0, seed=3)
    assert inits.get(orthogonal) is orthogonal
    assert isinstance(inits.get(inits.HeNormal), inits.HeNormal)
    from_dict = inits.get({"class_name": "VarianceScaling", "config": {"scale": 0.5, "mode": "fan_out",
                                                                       "distribution": "uniform", "seed": 1}})
    np.testing.assert_array_equal(from_dict((3, 4)), inits.VarianceScaling(0.5, "fan_out", "uniform", seed=1)((3, 4)))
    serialized = inits.serialize(orthogonal)
    assert serialized == {"module": "keras.initializers", "class_name": "Orthogonal",
                          "config": {"seed": 3, "gain": 2.0}, "registered_name": None}
    for form in (serialized, {"class_name": "orthogonal", "config": {"seed": 3, "gain": 2.0}}):
        np.testing.assert_array_equal(inits.get(form)((4, 3)), orthogonal((4, 3)))
    values = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(inits.get(values)((2, 3), "float32"), values.astype("float32"))
    np.testing.assert_array_equal(inits.get(fs.ops.convert_to_tensor(values))((2, 3), "float64"), values)
    with pytest.raises(ValueError, match=r"initializers.get: argument `shape` expected \(2, 3\)"):
        inits.get(values)((3, 2))

    def function(shape, dtype=None):
        return np.full(shape, 7.0, dtype)

    assert inits.get(function) is function


CONFIGS = [
    ("Constant", {"value": 1.5}), ("Zeros", {}), ("Ones", {}), ("Identity", {"gain": 0.5}),
    ("STFT", {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True}),
    ("RandomNormal", {"mean": 1.0, "stddev": 0.5, "seed": 4}),
    ("RandomUniform", {"minval": -2.0, "maxval": 1.0, "seed": 5}),
    ("TruncatedNormal", {"mean": -1.0, "stddev": 0.2, "seed": 6}), ("Orthogonal", {"gain": 3.0, "seed": 7}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "untruncated_normal", "seed": 8,
                         "input_axes": [0], "output_axes": [1, 2]}),
    *((name, {"seed": 9, "input_axes": None, "output_axes": None}) for name in (
        "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform")),
]


@pytest.mark.parametrize(("class_name", "config"), CONFIGS, ids=[c for c, _ in CONFIGS])
def test_config_round_trips_with_keras_keys_and_gives_the_same_array(fs, class_name, config):
    cls = getattr(fs.initializers, class_name)
    initializer = cls(**config)
    assert initializer.get_config() == config
    shape = (8, 1, 5) if class_name == "STFT" else (3, 2, 4) if class_name == "VarianceScaling" else (3, 4)
    for copy in (cls.from_config(initializer.get_config()), fs.initializers.deserialize(
            fs.initializers.serialize(initializer)), initializer.clone()):
        np.testing.assert_array_equal(copy(shape), initializer(shape))


# -- the deterministic initializers: closed forms ----------------------------------------------------
@given(rows=st.integers(1, 6), cols=st.integers(1, 6), gain=st.floats(-3, 3, allow_nan=False))
def test_identity_is_gain_times_the_identity_of_any_rectangle(fs, rows, cols, gain):
    values = fs.initializers.Identity(gain=gain)((rows, cols), "float64")
    np.testing.assert_array_equal(values, gain * np.eye(rows, cols))


def test_constant_fills_with_its_value_in_the_asked_dtype(fs):
    assert fs.initializers.Constant(2.5)((2, 3), "float32").dtype == np.float32
    np.testing.assert_array_equal(fs.initializers.Constant(2.5)((2, 3)), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(fs.initializers.Constant([1.0, 2.0])((2, 2)), [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_array_equal(fs.initializers.Zeros()((2,), "int32"), [0, 0])


@given(frame=st.integers(2, 24), extra_bins=st.integers(0, 3),
       window=st.sampled_from(["hann", "hamming", "blackman", "boxcar", "triang", "tukey", "bartlett", None]),
       scaling=st.sampled_from(["density", "spectrum", None]), periodic=st.booleans())
def test_stft_kernels_compute_the_windowed_dft(fs, frame, extra_bins, window, scaling, periodic):
    """On a frame x, the real and imag kernels give Re and Im of rfft(x * w, n = 2 (bins - 1)) / s."""
    import scipy.signal

    bins = (frame + 1) // 2 + 1 + extra_bins  # n >= frame: the DFT of the zero-padded frame
    x = np.random.default_rng(frame * bins).normal(size=frame)
    w = np.ones(frame) if window is None else scipy.signal.get_window(window, frame, periodic)
    s = {"density": np.sqrt(np.sum(w**2)), "spectrum": np.sum(np.abs(w)), None: 1.0}[scaling if window else None]
    if s == 0:  # a window of zeros (bartlett of 2 points) under a scaling: refused, where Keras divides by 0
        with pytest.raises(ValueError, match="STFT: argument `window` expected a window with a nonzero"):
            fs.initializers.STFT("real", window, scaling, periodic)((frame, 1, bins))
        return
    kernels = [fs.initializers.STFT(side, window, scaling, periodic)((frame, 1, bins), "float64")[:, 0, :]
               for side in ("real", "imag")]
    spectrum = np.fft.rfft(x * w, n=2 * (bins - 1))
    np.testing.assert_allclose(x @ kernels[0], spectrum.real / s, atol=1e-12)
    np.testing.assert_allclose(x @ kernels[1], spectrum.imag / s, atol=1e-12)


# -- the random initializers: statistics ------------------------------------------------------------
SHAPES = {"dense": (300, 200), "conv": (3, 3, 40, 50), "vector": (60000,)}
#: (fan_in, fan_out) of each shape: a kernel (..., in, out) counts its receptive field, a vector its length
FANS = {"dense": (300, 200), "conv": (360, 450), "vector": (60000, 60000)}


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform", "normal"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_variance_scaling_has_scale_over_fan_variance_in_every_mode(fs, mode, distribution, shape):
    (fan_in, fan_out), shape = FANS[shape], SHAPES[shape]
    values = fs.initializers.VarianceScaling(2.0, mode, distribution, seed=11)(shape, "float64")
    variance = 2.0 / {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    assert values.shape == shape
    assert abs(values.mean()) < 4 * math.sqrt(variance / values.size)
    assert abs(values.var() / variance - 1) < 0.03
    bound = (math.sqrt(3 * variance) if distribution == "uniform"
             else 2 * math.sqrt(variance) / 0.87962566103423978 if distribution != "untruncated_normal" else None)
    if bound is not None:
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound


def test_fan_axes_choose_the_dims_that_count(fs):
    init = fs.initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=1, input_axes=[0, 2], output_axes=[1])
    values = init((20, 3, 50), "float64")
    fan_out = fs.initializers.VarianceScaling(1.0, "fan_out", "uniform", seed=1, input_axes=[0, 2], output_axes=[1])
    assert np.abs(fan_out((20, 3, 50), "float64")).max() > 0.99 * math.sqrt(3 / 3)
    assert np.abs(values).max() <= math.sqrt(3 / 1000) and np.abs(values).max() > 0.99 * math.sqrt(3 / 1000)


@pytest.mark.parametrize(("name", "scale", "mode", "uniform"), [
    ("GlorotUniform", 1, "fan_avg", True), ("GlorotNormal", 1, "fan_avg", False), ("HeUniform", 2, "fan_in", True),
    ("HeNormal", 2, "fan_in", False), ("LecunUniform", 1, "fan_in", True), ("LecunNormal", 1, "fan_in", False)])
def test_the_named_variance_scalings_are_their_presets(fs, name, scale, mode, uniform):
    distribution = "uniform" if uniform else "truncated_normal"
    np.testing.assert_array_equal(getattr(fs.initializers, name)(seed=2)((30, 20), "float64"),
                                  fs.initializers.VarianceScaling(scale, mode, distribution, seed=2)((30, 20),
                                                                                                     "float64"))


def test_truncated_normal_is_cut_at_two_stddev_around_its_mean(fs):
    values = fs.initializers.TruncatedNormal(mean=3.0, stddev=0.5, seed=1)((200, 300), "float64")
    assert np.abs(values - 3.0).max() <= 1.0 and np.abs(values - 3.0).max() > 0.99
    assert abs(values.mean() - 3.0) < 0.01 and abs(values.std() / (0.5 * 0.87962566103423978) - 1) < 0.02


def test_random_normal_and_uniform_have_their_moments(fs):
    normal = fs.initializers.RandomNormal(mean=-1.0, stddev=2.0, seed=1)((300, 200), "float64")
    assert abs(normal.mean() + 1.0) < 0.03 and abs(normal.std() / 2.0 - 1) < 0.01
    uniform = fs.initializers.RandomUniform(minval=1.0, maxval=3.0, seed=1)((300, 200), "float64")
    assert uniform.min() >= 1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 2.0) < 0.01


@given(shape=st.lists(st.integers(1, 7), min_size=2, max_size=4).map(tuple), gain=st.floats(0.1, 3.0),
       seed=st.integers(0, 2**31))
def test_orthogonal_gives_gain_squared_identity_in_every_orientation(fs, shape, gain, seed):
    values = fs.initializers.Orthogonal(gain=gain, seed=seed)(shape, "float64")
    assert values.shape == shape
    flat = values.reshape(-1, shape[-1])
    product = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(product, gain**2 * np.eye(len(product)), atol=1e-12 * gain**2 * len(product))


def test_a_seed_gives_the_same_array_in_both_precisions_up_to_the_cast(fs):
    for init in (fs.initializers.Orthogonal(seed=1), fs.initializers.LecunNormal(seed=1),
                 fs.initializers.TruncatedNormal(seed=1), fs.initializers.STFT()):
        shape = (8, 1, 5) if isinstance(init, fs.initializers.STFT) else (6, 5)
        np.testing.assert_array_equal(init(shape, "float32"), init(shape, "float64").astype("float32"))


# -- refusals --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "message"), [
    (lambda i: i.get("glorot"), r"initializers.get: argument `identifier` expected an initializer named one of"),
    (lambda i: i.get(3), r"initializers.get: argument `identifier` expected an Initializer"),
    (lambda i: i.VarianceScaling(scale=0.0), r"VarianceScaling: argument `scale` expected a positive number"),
    (lambda i: i.VarianceScaling(mode="fan"), r"VarianceScaling: argument `mode` expected one of"),
    (lambda i: i.VarianceScaling(distribution="cauchy"), r"VarianceScaling: argument `distribution` expected one of"),
    (lambda i: i.HeNormal(seed=1.5), r"HeNormal: argument `seed` expected an int or None"),
    (lambda i: i.Identity()((2, 2, 2)), r"Identity: argument `shape` expected a 2-D shape"),
    (lambda i: i.Orthogonal()((4,)), r"Orthogonal: argument `shape` expected a shape of rank 2 or more"),
    (lambda i: i.STFT(side="both"), r"STFT: argument `side` expected 'real' or 'imag'"),
    (lambda i: i.STFT(window="kaiser"), r"STFT: argument `window` expected one of"),
    (lambda i: i.STFT(scaling="l2"), r"STFT: argument `scaling` expected 'density', 'spectrum' or None"),
    (lambda i: i.STFT(window=[1.0, 2.0])((3, 1, 4)), r"STFT: argument `window` expected 3 values"),
    (lambda i: i.STFT()((8, 2, 5)), r"STFT: argument `shape` expected \(frame_length >= 1, 1,"),
    (lambda i: i.deserialize({"class_name": "Nope", "config": {}}), r"initializers.deserialize: argument `config`"),
])
def test_bad_arguments_are_refused_by_name(fs, make, message):
    with pytest.raises(ValueError, match=message):
        make(fs.initializers)

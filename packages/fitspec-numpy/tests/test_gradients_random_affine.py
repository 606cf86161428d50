"""RandomRotation, RandomTranslation and RandomZoom pass gradients to their images in training: autograd against
central finite differences in float64 at fixed seeds (the draws repeat at every evaluation), hypothesis over the
layer, fill mode, interpolation and data format (docs/SPEC.md 8d.P2)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients_layers_merging_reshaping_noise_normalization import check_gradients

import fitspec_numpy as fs

LAYERS = {
    "RandomRotation": {"factor": (-0.2, 0.3)},
    "RandomTranslation": {"height_factor": 0.3, "width_factor": (-0.4, 0.2)},
    "RandomZoom": {"height_factor": (-0.3, 0.4), "width_factor": 0.2},
}


@settings(max_examples=12, deadline=None, derandomize=True)
@given(name=st.sampled_from(sorted(LAYERS)), fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]),
       interpolation=st.sampled_from(["bilinear", "nearest"]),
       data_format=st.sampled_from(["channels_last", "channels_first"]), seed=st.integers(0, 2**16))
def test_random_affine_layers_in_training(name, fill_mode, interpolation, data_format, seed):
    rng = np.random.default_rng(seed)
    shape = (2, 2, 4, 5) if data_format == "channels_first" else (2, 4, 5, 2)
    layer = getattr(fs.layers, name)(**LAYERS[name], fill_mode=fill_mode, interpolation=interpolation,
                                     fill_value=0.5, seed=seed % 1000, data_format=data_format)
    check_gradients(layer, rng.normal(size=shape), training=True, seed=seed)


def test_the_gradient_of_a_rotation_is_its_bilinear_weights():
    """d out / d image of one image is a matrix whose rows (one per output pixel) sum to 1 with reflect filling."""
    layer = fs.layers.RandomRotation(0.2, seed=4)
    image = np.random.default_rng(0).normal(size=(1, 4, 5, 1))
    fs.config.set_floatx("float64")
    layer(image)  # build: the seed state is the layer's one (non-trainable) variable
    seed_state = [v.numpy() for v in layer.non_trainable_variables]
    rows = []
    for pixel in range(20):
        projection = np.zeros(20)
        projection[pixel] = 1.0

        def objective(x, projection=projection):
            out, _ = layer.stateless_call([], seed_state, x, training=True)
            return fs.ops.sum(fs.ops.reshape(out, (20,)) * projection)

        rows.append(np.asarray(fs.value_and_grad(objective)(image)[1]).reshape(20))
    np.testing.assert_allclose(np.sum(rows, axis=1), np.ones(20), rtol=1e-12)
    assert np.all(np.asarray(rows) >= 0)

"""The normalization layers under a mixed dtype policy (docs/SPEC.md 3.4): statistics and normalization in float32,
weights read in float32, the output in the compute dtype, as Keras 3; a model with them trains as in float32."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.assertions import assert_close
from conformance.models import normalized_convnet
from conformance.tolerances import tolerance


@pytest.fixture
def policy(fs):
    """The backend's mixed policy (numpy has no bfloat16: mixed_float16 there); the global policy restored after."""
    yield "mixed_float16" if fs.backend.name == "numpy" else "mixed_bfloat16"
    fs.config.set_dtype_policy(None)


def values(fs, tensor):
    return np.asarray(fs.ops.convert_to_numpy(fs.ops.cast(tensor, "float32")), dtype=np.float64)


def rounded(fs, array, dtype):
    """`array` rounded to `dtype` (the compute dtype), as float64."""
    return values(fs, fs.ops.cast(fs.ops.convert_to_tensor(np.asarray(array, "float32")), dtype))


LAYERS = [("BatchNormalization", {"momentum": 0.5}), ("LayerNormalization", {"axis": [1, 2]}),
          ("GroupNormalization", {"groups": 2}), ("RMSNormalization", {})]


@pytest.mark.parametrize("name, options", LAYERS, ids=[n for n, _ in LAYERS])
def test_a_mixed_normalization_layer_computes_in_float32_and_returns_the_compute_dtype(fs, policy, name, options):
    """Its weights stay float32 and are read in float32 (its moving statistics are the float32 ones, to float32
    rounding); its output is the float32 layer's on the same inputs, rounded once to the compute dtype. The
    inputs are those a mixed layer sees: BatchNormalization and RMSNormalization cast float inputs to the compute
    dtype, LayerNormalization and GroupNormalization keep them (Keras's autocast=False)."""
    compute = fs.DTypePolicy(policy).compute_dtype
    x = np.random.default_rng(0).normal(size=(6, 4, 4)) * 30.0 + 100.0  # a mean far from 0: float16 variance fails
    mixed, plain = (getattr(fs.layers, name)(dtype=d, **options) for d in (policy, "float32"))
    casts = name in ("BatchNormalization", "RMSNormalization")
    assert mixed.autocast is casts
    seen = rounded(fs, x, compute) if casts else x.astype("float32")
    for training in (True, False):
        kwargs = {"training": training} if name == "BatchNormalization" else {}
        y = mixed(fs.ops.convert_to_tensor(x.astype("float32")), **kwargs)
        wanted = plain(fs.ops.convert_to_tensor(seen.astype("float32")), **kwargs)
        assert fs.ops.dtype(y) == compute and {w.dtype for w in mixed.weights} == {"float32"}
        # one rounding of the output (relative 2^-8 / 2^-11 of values of order 1)
        step = 2.0**-8 if compute == "bfloat16" else 2.0**-11
        assert_close(values(fs, y), rounded(fs, values(fs, wanted), compute), 0.0, 4 * step,
                     f"{name} under {policy}, training={training}")
        for a, b in zip(mixed.weights, plain.weights):
            assert_close(a.numpy(), b.numpy(), 1e-6, 1e-5, f"{name}'s {a.path} under {policy}")


def test_a_model_with_batch_and_layer_normalization_trains_under_a_mixed_policy_as_in_float32(fs, device, policy):
    """A convnet with BatchNormalization and LayerNormalization, fitted 2 epochs with SGD under the mixed policy
    (global) and in float32 from the same weights: losses, weights' steps and moving statistics within the
    policy's row of the tolerance table (docs/SPEC.md 10.4)."""
    rng = np.random.default_rng(5)
    x, y = rng.random((24, 6, 6, 1)) * 4.0, np.eye(3)[rng.integers(0, 3, 24)]
    models = []
    for global_policy in (policy, "float32"):
        fs.config.set_dtype_policy(global_policy)
        fs.utils.set_random_seed(4)
        model = normalized_convnet(fs)
        fs.config.set_dtype_policy(None)
        model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy")
        models.append(model)
    mixed, plain = models
    assert [layer.dtype_policy.name for layer in mixed.layers[:-1]] == [policy] * 8
    start = plain.get_weights()
    mixed.set_weights(start)
    losses = [m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"] for m in models]
    rtol, atol = tolerance(policy, device)
    assert_close(losses[0], losses[1], rtol, 0.0, f"losses under {policy}")
    assert {v.dtype for v in mixed.weights} == {"float32"}
    for v, a, b, s in zip(mixed.weights, mixed.get_weights(), plain.get_weights(), start):
        assert_close(a - s, b - s, rtol, atol * max(1.0, np.abs(b - s).max()), f"{v.path} after fit under {policy}")
    assert mixed.predict(x[:4], verbose=0).dtype == np.dtype(fs.config.floatx())  # the softmax in floatx

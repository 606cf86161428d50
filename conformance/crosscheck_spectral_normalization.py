"""Cross-check SpectralNormalization against Keras 3.15 on JAX (docs/SPEC.md 8d.SN, 11): weights (names, shapes,
Keras's order), training calls (outputs, the stored u, the kernel left as it was) for Dense, Conv2D and Embedding
and 1 or 3 power iterations; the inference call differs by design (the deviation table)."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import compare, verdict

INFERENCE = ("Keras 3.15 on JAX runs an inference call with the raw kernel (its training calls assign W / sigma to "
             "the kernel, an assignment its stateless JAX step drops), Keras on TensorFlow and torch with the kernel "
             "that the last training call normalized and the optimizer then moved; fitspec with W / sigma from the "
             "stored u (docs/SPEC.md 8d.SN, deviation table)")


def _layers(lib):
    return [
        ("Dense", lambda: lib.layers.Dense(4), (3, 5), 1),
        ("Dense, 3 iterations", lambda: lib.layers.Dense(4), (3, 5), 3),
        ("Conv2D", lambda: lib.layers.Conv2D(3, 2), (2, 4, 4, 2), 2),
        ("Embedding (Keras's outputs cast to int32, compared with fitspec's truncated)",
         lambda: lib.layers.Embedding(6, 3), None, 1),
    ]


def check() -> int:
    import keras

    import fitspec_numpy as fs

    failures = 0
    rng = np.random.default_rng(153)
    for (label, ours_make, shape, iterations), (_, theirs_make, _, _) in zip(_layers(fs), _layers(keras)):
        problems = []
        x = rng.integers(0, 6, size=(2, 3)).astype("int32") if shape is None else rng.normal(size=shape)
        ours = fs.layers.SpectralNormalization(ours_make(), power_iterations=iterations)
        theirs = keras.layers.SpectralNormalization(theirs_make(), power_iterations=iterations)
        ours(x)
        theirs(x)
        paths = [tuple(v.path.split("/")[-1:]) for v in ours.weights], [tuple(v.path.split("/")[-1:])
                                                                        for v in theirs.weights]
        if paths[0] != paths[1] or [v.shape for v in ours.weights] != [tuple(v.shape) for v in theirs.weights]:
            problems.append(f"weights {paths[0]} != Keras {paths[1]}")
            failures += verdict(f"spectral_normalization: {label}", problems)
            continue
        weights = [rng.normal(size=v.shape) for v in ours.weights]
        ours.set_weights(weights)
        theirs.set_weights(weights)
        for step in range(2):
            a = fs.ops.convert_to_numpy(ours(x, training=True))
            b = np.asarray(theirs(x, training=True))
            if shape is None:  # Keras casts the output to the ids' dtype (int32); fitspec keeps floats (8d.SN)
                a = np.trunc(a)
            compare(a, b, f"training call {step}", problems)
            compare(fs.ops.convert_to_numpy(ours.vector_u.value), np.asarray(theirs.vector_u.value),
                    f"vector_u after training call {step}", problems)
            theirs.kernel.assign(weights[0])  # Keras assigned W / sigma: fitspec keeps W (and so does Keras's JAX step)
        if ours.get_config()["power_iterations"] != theirs.get_config()["power_iterations"]:
            problems.append("config power_iterations differs")
        failures += verdict(f"spectral_normalization: {label}: weights, training calls, u", problems)
        inference = []
        a = fs.ops.convert_to_numpy(ours(x))
        compare(a if shape is not None else np.trunc(a), np.asarray(theirs(x)), "inference call", inference)
        failures += verdict(f"spectral_normalization: {label}: inference call", inference, INFERENCE)
    return failures

"""Crosscheck area `compare_layers` (docs/SPEC.md 8d.8-8d.11): layers one by one against Keras 3."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import verdict


# -- merging, reshaping, noise and normalization layers, one by one (docs/SPEC.md 8d.8-8d.11) ------------------------
def _layer_pairs(fs, keras):
    """(fitspec layer, Keras layer, inputs) of every configuration the layer comparison runs."""
    rng = np.random.default_rng(5)
    x2, x3, x4, x5 = (rng.normal(size=shape) for shape in ((3, 6), (3, 5, 4), (2, 5, 4, 3), (2, 3, 4, 2, 3)))
    y3 = rng.normal(size=(3, 4, 6))
    configurations = [
        ("Add", {}, [x3, x3[:, :1] * 2.0, x3[:, 0]]), ("Subtract", {}, [x3, x3 ** 2]),
        ("Multiply", {}, [x3, x3 + 1.0, x3[:, :, :1]]), ("Average", {}, [x3, x3 ** 2, 2.0 * x3]),
        ("Maximum", {}, [x3, -x3, x3[:, 0]]), ("Minimum", {}, [x3, -x3]),
        ("Dot", {"axes": 1}, [x2, x2 ** 2]), ("Dot", {"axes": -1, "normalize": True}, [x3, x3 ** 3]),
        ("Dot", {"axes": (2, 1)}, [x3, y3]), ("Dot", {"axes": (1, 1), "normalize": True}, [x3, x3[:, :, :2]]),
        ("Dot", {"axes": (2, 1)}, [x2[:2, None, :4], x4[:, 0]]),
        ("Concatenate", {"axis": 1}, [x3, x3[:, :2]]),
        ("Permute", {"dims": (2, 1)}, x3), ("Permute", {"dims": (3, 1, 2)}, x4), ("RepeatVector", {"n": 3}, x2),
        ("UpSampling1D", {"size": 3}, x3), ("UpSampling2D", {}, x4),
        ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear"}, x4),
        ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear", "data_format": "channels_first"}, x4),
        ("UpSampling3D", {"size": (1, 2, 3)}, x5), ("UpSampling3D", {"data_format": "channels_first"}, x5),
        ("ZeroPadding1D", {"padding": (2, 1)}, x3), ("ZeroPadding1D", {"padding": 1, "data_format": "channels_first"},
                                                      x3),
        ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, x4), ("ZeroPadding2D", {"data_format": "channels_first"}, x4),
        ("ZeroPadding3D", {"padding": (1, (0, 2), 1)}, x5), ("Cropping1D", {"cropping": (2, 1)}, x3),
        ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, x4),
        ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, x4),
        ("Cropping3D", {"cropping": ((1, 0), (1, 1), (0, 1))}, x5), ("Flatten", {"data_format": "channels_first"}, x4),
        ("Flatten", {}, x4), ("Identity", {}, x3),
        ("UnitNormalization", {}, x3), ("UnitNormalization", {"axis": [1, 2]}, x4),
        ("GroupNormalization", {"groups": 2}, x3), ("GroupNormalization", {"groups": -1, "axis": 1}, x4),
        ("GroupNormalization", {"groups": 2, "axis": -2, "epsilon": 0.1, "center": False}, x4),
        ("RMSNormalization", {}, x3), ("RMSNormalization", {"axis": [1, 2], "epsilon": 0.01}, x3),
        ("ActivityRegularization", {"l1": 0.1, "l2": 0.3}, x3),
        ("GaussianNoise", {"stddev": 0.3, "seed": 1}, x3), ("GaussianDropout", {"rate": 0.3, "seed": 2}, x3),
        ("AlphaDropout", {"rate": 0.3, "seed": 3}, x3),
        ("AlphaDropout", {"rate": 0.4, "noise_shape": (None, 1, 4), "seed": 4}, x3),
        ("SpatialDropout1D", {"rate": 0.4, "seed": 5}, x3), ("SpatialDropout2D", {"rate": 0.5, "seed": 6}, x4),
        ("SpatialDropout2D", {"rate": 0.5, "data_format": "channels_first", "seed": 7}, x4),
        ("SpatialDropout3D", {"rate": 0.5, "seed": 8}, x5),
    ]
    for name, kwargs, inputs in configurations:
        yield name, kwargs, getattr(fs.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), inputs


#: layer -> why its float64 outputs may differ from Keras 3's (on JAX) by up to 1e-6 relative
FLOAT32_IN_KERAS = {"GroupNormalization": "result_type(float64, 'float32') is float32 on JAX",
                    "RMSNormalization": "the same float32 computation"}
#: the Keras get_config keys fitspec does not write, and why
CONFIG_KEYS_NOT_WRITTEN = {"GroupNormalization": ("beta_initializer", "gamma_initializer", "beta_regularizer",
                                                  "gamma_regularizer", "beta_constraint", "gamma_constraint")}


def compare_layers() -> int:
    """Each merging, reshaping, noise and normalization layer against Keras 3 on JAX from the same inputs: outputs
    (float64; the noise layers in inference, and in float32 training with the same seed), output shapes (eager and
    symbolic), config keys and values. Prints a line per layer configuration; returns the number that differ."""
    import keras

    import fitspec_numpy as fs

    failures = 0
    for name, kwargs, ours, theirs, inputs in _layer_pairs(fs, keras):
        problems: list[str] = []
        training_matters = name in ("GaussianNoise", "GaussianDropout", "AlphaDropout") or name.startswith("Spatial")
        out_ours = np.asarray(fs.ops.convert_to_numpy(ours(inputs)))
        out_theirs = np.asarray(theirs(inputs))
        rtol = 1e-6 if name in FLOAT32_IN_KERAS else 1e-12
        if out_ours.shape != out_theirs.shape or not np.allclose(out_ours, out_theirs, rtol=rtol, atol=rtol):
            problems.append(f"outputs differ (max |diff| {np.max(np.abs(out_ours - out_theirs)):.3e})"
                            if out_ours.shape == out_theirs.shape else f"shape {out_ours.shape} != {out_theirs.shape}")
        shapes = [np.shape(x) for x in inputs] if isinstance(inputs, list) else np.shape(inputs)
        if tuple(ours.compute_output_shape(shapes)) != tuple(theirs.compute_output_shape(shapes)):
            problems.append(f"compute_output_shape {ours.compute_output_shape(shapes)} != "
                            f"{theirs.compute_output_shape(shapes)}")
        symbolic = [fs.Input(shape=np.shape(x)[1:]) for x in inputs] if isinstance(inputs, list) else fs.Input(
            shape=np.shape(inputs)[1:])
        fresh = type(ours).from_config(ours.get_config())
        if tuple(fresh(symbolic).shape[1:]) != out_theirs.shape[1:]:
            problems.append(f"symbolic shape {fresh(symbolic).shape} != {out_theirs.shape}")
        config_ours, config_theirs = ours.get_config(), theirs.get_config()
        missing = set(config_theirs) - set(config_ours) - {"name", "trainable", "dtype"} - set(
            CONFIG_KEYS_NOT_WRITTEN.get(name, ()))
        extra = set(config_ours) - set(config_theirs)
        if missing or extra:
            problems.append(f"config keys: missing {sorted(missing)}, extra {sorted(extra)}")
        for key in set(config_ours) & set(config_theirs) - {"name", "trainable", "dtype"}:
            if json_ready(config_ours[key]) != json_ready(config_theirs[key]):
                problems.append(f"config[{key!r}] {config_ours[key]!r} != Keras {config_theirs[key]!r}")
        if training_matters:
            problems += _compare_training_draws(fs, keras, name, kwargs, inputs)
        failures += verdict(f"layer {name}({kwargs})" + (f" [float64 within {rtol}: {FLOAT32_IN_KERAS[name]}]"
                                                         if name in FLOAT32_IN_KERAS else ""), problems)
    failures += _compare_noise_model_in_inference(fs, keras)
    return failures


def _compare_noise_model_in_inference(fs, keras) -> int:
    """The noise layers' golden model (`layers_noise_training`) from the same weights predicts as Keras's."""
    from conformance import models

    ours, theirs = models.noise_layers(fs), models.noise_layers(keras)
    theirs.set_weights(ours.get_weights())
    x = np.random.default_rng(6).random((8, 6, 4))
    worst = float(np.max(np.abs(ours.predict(x, verbose=0) - np.asarray(theirs.predict(x, verbose=0)))))
    return verdict(f"the noise layers' model in inference (max |diff| {worst:.1e})",
                   [] if worst <= 1e-12 else [f"max |diff| {worst:.1e} > 1e-12"])


def json_ready(value):
    """A config value as JSON has it: tuples as lists."""
    if isinstance(value, (tuple, list)):
        return [json_ready(v) for v in value]
    return value


def _compare_training_draws(fs, keras, name, kwargs, inputs) -> list[str]:
    """In float32 training, from the same seed: the masks (SpatialDropout*, AlphaDropout) bit for bit, the Gaussian
    noise within jax's normal approximation (5.5e-6 relative, docs/SPEC.md R.6), twice (the seed state advances)."""
    import jax

    x = np.asarray(inputs, dtype="float32")
    problems = []
    keras.config.set_floatx("float32")  # a float32 Keras model: its draws in float32, as jax draws without x64
    try:
        with jax.enable_x64(False):
            ours, theirs = getattr(fs.layers, name)(dtype="float32", **kwargs), getattr(keras.layers, name)(**kwargs)
            draws = [(fs.ops.convert_to_numpy(ours(x, training=True)), np.asarray(theirs(x, training=True)))
                     for _ in range(2)]
    finally:
        keras.config.set_floatx("float64")
    for draw, (a, b) in enumerate(draws):
        gaussian = name.startswith("Gaussian")
        if gaussian and not np.allclose(a, b, rtol=2e-5, atol=1e-6):
            problems.append(f"training draw {draw}: noise differs (max |diff| {np.max(np.abs(a - b)):.3e})")
        if not gaussian and not (np.array_equal(a == 0, b == 0) and np.allclose(a, b, rtol=1e-6, atol=1e-7)):
            problems.append(f"training draw {draw}: masks differ")
    return problems


AREAS = {"compare_layers": compare_layers}

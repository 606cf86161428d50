"""Cross-check the adaptive pooling layers against Keras 3.15 on JAX (docs/SPEC.md 8d.AP, 11): outputs on random
inputs (bins of unequal widths, more bins than positions, channels_first), compute_output_shape and config."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import compare, verdict

#: (class name, constructor kwargs, input shape)
CONFIGURATIONS = [
    ("AdaptiveAveragePooling1D", {"output_size": 4}, (2, 10, 3)),
    ("AdaptiveMaxPooling1D", {"output_size": 7}, (2, 5, 3)),
    ("AdaptiveMaxPooling1D", {"output_size": (3,), "data_format": "channels_first"}, (2, 3, 11)),
    ("AdaptiveAveragePooling2D", {"output_size": (3, 4)}, (2, 7, 9, 2)),
    ("AdaptiveAveragePooling2D", {"output_size": 5, "data_format": "channels_first"}, (1, 2, 3, 8)),
    ("AdaptiveMaxPooling2D", {"output_size": (2, 5)}, (2, 5, 6, 3)),
    ("AdaptiveAveragePooling3D", {"output_size": (2, 3, 2)}, (1, 5, 7, 3, 2)),
    ("AdaptiveMaxPooling3D", {"output_size": 2, "data_format": "channels_first"}, (1, 2, 3, 5, 4)),
]


def check() -> int:
    import keras

    import fitspec_numpy as fs
    from conformance.crosscheck_layers import json_ready

    failures = 0
    rng = np.random.default_rng(152)
    for name, kwargs, shape in CONFIGURATIONS:
        problems = []
        x = rng.normal(size=shape)
        ours, theirs = getattr(fs.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
        compare(fs.ops.convert_to_numpy(ours(x)), np.asarray(theirs(x)), "outputs", problems)
        if tuple(ours.compute_output_shape(shape)) != tuple(theirs.compute_output_shape(shape)):
            problems.append(f"compute_output_shape {ours.compute_output_shape(shape)} != "
                            f"{theirs.compute_output_shape(shape)}")
        config_ours, config_theirs = ours.get_config(), theirs.get_config()
        for key in ("output_size", "data_format"):
            if json_ready(config_ours[key]) != json_ready(config_theirs[key]):
                problems.append(f"config[{key!r}] {config_ours[key]!r} != Keras {config_theirs[key]!r}")
        failures += verdict(f"adaptive_pooling: {name}{kwargs} on {shape}", problems)
    return failures

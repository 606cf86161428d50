"""Crosscheck area `model_configs` (docs/SPEC.md 2.8): Keras 3's model configs in fitspec and back."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import ATOL, RTOL, verdict


def crosscheck_model_configs(keras, fs) -> int:
    """Keras 3's `get_config()` of small Functional and Sequential models (branches, a shared layer, a nested model,
    a registered custom activation) rebuilt by fitspec's `from_config` predicts what Keras predicts from the same
    weights; fitspec's config of the same model rebuilds in Keras 3 too (docs/SPEC.md 2.8)."""
    import json

    def halved(x):
        return x * 0.5

    # each library registers its own function under one name: "crosscheck>halved"
    activation = {keras: keras.saving.register_keras_serializable(package="crosscheck")(halved),
                  fs: fs.saving.register_keras_serializable(package="crosscheck", name="halved")(lambda x: x * 0.5)}

    def functional(api):
        lay = api.layers
        inner_in = api.Input(shape=(5,), name="inner_in")
        inner = api.Model(inner_in, lay.Dense(3, activation="sigmoid", name="inner_dense")(inner_in), name="inner")
        x = api.Input(shape=(4,), name="x")
        hidden = lay.Dense(5, activation="relu", name="hidden")(x)
        shared = lay.Dense(5, activation=activation[api], name="shared")
        a, b = shared(hidden), shared(lay.LeakyReLU(negative_slope=0.2, name="leaky")(hidden))
        joined = lay.Concatenate(name="joined")([inner(a), b, lay.Flatten(name="flat")(lay.Reshape((5, 1))(hidden))])
        return api.Model(x, lay.Dense(2, activation="softmax", name="head")(joined), name="crosscheck_functional")

    def sequential(api):
        lay = api.layers
        return api.Sequential([api.Input(shape=(4,)), lay.Dense(3, activation="relu", name="s1"),
                               lay.Dropout(0.3, name="drop"), lay.Dense(1, name="s2")], name="crosscheck_sequential")

    def copy_weights(source, target):  # in order: the two list a branched model's weights alike (SPEC 2.12)
        target.set_weights([np.asarray(w) for w in source.get_weights()])

    x = np.random.default_rng(11).standard_normal((6, 4))
    failures = 0
    for name, build in (("functional", functional), ("sequential", sequential)):
        keras_model = build(keras)
        config = json.loads(json.dumps(keras_model.get_config()))
        cls = fs.Sequential if name == "sequential" else fs.Model
        ours = cls.from_config(config)
        copy_weights(keras_model, ours)
        expected = np.asarray(keras_model.predict(x, verbose=0))
        got = ours.predict(x, verbose=0)
        back = type(keras_model).from_config(json.loads(json.dumps(ours.get_config())))
        copy_weights(ours, back)
        returned = np.asarray(back.predict(x, verbose=0))
        for what, value in (("fitspec from Keras's config", got), ("Keras from fitspec's config", returned)):
            worst = float(np.max(np.abs(value - expected)))
            agrees = np.allclose(value, expected, rtol=RTOL, atol=ATOL)
            failures += verdict(f"model_configs/{name}: {what}", [] if agrees else [f"max |diff| {worst:.3e}"])
    return failures


def check() -> int:
    import keras

    import fitspec_numpy as fs

    return crosscheck_model_configs(keras, fs)

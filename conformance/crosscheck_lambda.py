"""Cross-check Lambda against Keras 3.15 on JAX (docs/SPEC.md 8d.LA, 11): outputs with `arguments`, the mask and
training arguments, output_shape (a shape, a function, inferred), compute_mask, and the config of a registered
function; a Keras config holding a lambda's code is refused by both (Keras in its default safe mode)."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import compare, verdict


def _functions(register):
    @register(package="crosscheck_lambda")
    def scaled(x, factor=1.0):
        return x * factor

    @register(package="crosscheck_lambda")
    def masked_steps(x, mask=None, training=None):  # takes the mask and the training flag Lambda passes
        return x * 2.0

    @register(package="crosscheck_lambda")
    def first_row_mask(inputs, mask=None):
        return mask

    @register(package="crosscheck_lambda")
    def halved_shape(shape):
        return (shape[0], shape[1] // 2)

    @register(package="crosscheck_lambda")
    def halves(x):
        return x[:, ::2]

    return scaled, masked_steps, first_row_mask, halved_shape, halves


def check() -> int:
    import keras
    from keras.src.backend import get_keras_mask

    import fitspec_numpy as fs
    from fitspec.masking import get_mask

    ours_fns = _functions(fs.saving.register_keras_serializable)
    theirs_fns = _functions(keras.saving.register_keras_serializable)
    x = np.random.default_rng(4).normal(size=(3, 6))
    failures = 0
    for label, kwargs_of in (
        ("arguments", lambda f: {"function": f[0], "arguments": {"factor": 2.5}}),
        ("output_shape a shape", lambda f: {"function": f[4], "output_shape": (3,)}),
        ("output_shape a function", lambda f: {"function": f[4], "output_shape": f[3]}),
        ("output_shape inferred", lambda f: {"function": f[4]}),
        ("mask function", lambda f: {"function": f[1], "mask": f[2]}),
    ):
        problems = []
        ours, theirs = fs.layers.Lambda(**kwargs_of(ours_fns)), keras.layers.Lambda(**kwargs_of(theirs_fns))
        compare(fs.ops.convert_to_numpy(ours(x)), np.asarray(theirs(x)), "outputs", problems)
        for shape in ((None, 6), (3, 6)):
            a, b = ours.compute_output_shape(shape), theirs.compute_output_shape(shape)
            if tuple(a) != tuple(b):
                problems.append(f"compute_output_shape{shape} {a} != Keras {b}")
        config_ours, config_theirs = ours.get_config(), theirs.get_config()
        for key in ("function", "output_shape", "mask", "arguments"):
            a, b = config_ours.get(key), config_theirs.get(key)
            if isinstance(a, dict) and isinstance(b, dict):
                a, b = a.get("config"), b.get("config")
            if key == "output_shape" and isinstance(a, (list, tuple)):
                a, b = list(a), list(b)
            if a != b:
                problems.append(f"config[{key!r}] {a!r} != Keras {b!r}")
        rebuilt = fs.layers.Lambda.from_config(config_ours)
        compare(fs.ops.convert_to_numpy(rebuilt(x)), np.asarray(theirs(x)), "rebuilt outputs", problems)
        failures += verdict(f"lambda: {label}", problems)
    problems = []
    embedded_ours = fs.layers.Embedding(5, 6, mask_zero=True)
    embedded_theirs = keras.layers.Embedding(5, 6, mask_zero=True)
    ids = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    a_in, b_in = embedded_ours(ids), embedded_theirs(ids)
    for make, lib_in, read, who in ((lambda: fs.layers.Lambda(ours_fns[1], mask=ours_fns[2]), a_in, get_mask, "ours"),
                                    (lambda: keras.layers.Lambda(theirs_fns[1], mask=theirs_fns[2]), b_in,
                                     get_keras_mask, "Keras")):
        mask = read(make()(lib_in))
        if mask is None or not np.array_equal(np.asarray(mask), ids != 0):
            problems.append(f"{who}: the output mask {mask} is not the input's")
    failures += verdict("lambda: the mask function gives the output's mask", problems)
    problems = []
    saved = keras.layers.Lambda(lambda t: t + 1.0).get_config()
    try:
        fs.layers.Lambda.from_config(saved)
        problems.append("fitspec loaded a Python lambda's code")
    except ValueError as error:
        if "function" not in str(error):
            problems.append(f"the error does not name `function`: {error}")
    try:
        keras.layers.Lambda.from_config(saved)
        problems.append("Keras loaded a Python lambda's code in safe mode")
    except ValueError:
        pass
    failures += verdict("lambda: a config holding a lambda's code is refused", problems)
    return failures

"""The convolution and pooling variants one by one against Keras 3 (JAX backend, float64), from Keras's weights:
outputs, compute_output_shape, the symbolic shape, weight names and shapes, config keys and values, and the
constructor's argument names (docs/SPEC.md 8d.C1-8d.C5). `check()` prints a line per comparison and returns how
many differ; `python -m conformance.crosscheck convolutions` runs it."""

from __future__ import annotations

import inspect
import itertools

import numpy as np

#: layers whose float64 outputs Keras 3.15 on JAX computes in float32, and why: compared within 1e-6 relative
FLOAT32_IN_KERAS = {
    "GlobalAveragePooling": "ops.mean averages float64 in float32 (backend.result_type(float64, 'float32') is float32 "
                            "on JAX; measured 5.8e-8 off numpy's mean)",
    "Normalization": "ops.mean / ops.var in float32, as above (crosscheck DEVIATIONS of layers_layer_normalization)",
}
#: the config keys compared for layers whose other keys belong to other rules (8d.4, 8d.5, 8d.11)
CONFIG_KEYS_COMPARED = {"Normalization": ("beta_initializer", "gamma_initializer", "beta_regularizer",
                                          "gamma_regularizer", "beta_constraint", "gamma_constraint")}
#: argument names fitspec's layers do not take, and why
ARGUMENTS_NOT_TAKEN = {"lora_rank": "fitspec has no LoRA", "lora_alpha": "fitspec has no LoRA",
                       "trainable": "a Layer keyword argument in fitspec",
                       "name": "a Layer keyword argument in fitspec"}


def _grid():
    """(layer name, kwargs, input shape) of every configuration compared."""
    grid = []
    for rank, padding, data_format in itertools.product((1, 2, 3), ("valid", "same"),
                                                        ("channels_last", "channels_first")):
        spatial = (7, 6, 5)[:rank]
        shape = (2, *spatial, 4) if data_format == "channels_last" else (2, 4, *spatial)
        common = {"padding": padding, "data_format": data_format}
        grid += [
            (f"Conv{rank}D", {"filters": 4, "kernel_size": 3, "strides": 2, **common}, shape),
            (f"Conv{rank}D", {"filters": 6, "kernel_size": 2, "dilation_rate": 2, "groups": 2,
                              "activation": "sigmoid", **common}, shape),
            (f"Conv{rank}DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, **common}, shape),
            (f"Conv{rank}DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "output_padding": 1, **common},
             shape),
            (f"Conv{rank}DTranspose", {"filters": 2, "kernel_size": 2, "dilation_rate": 2, **common}, shape),
            (f"MaxPooling{rank}D", {"pool_size": 2, "strides": 1, **common}, shape),
            (f"AveragePooling{rank}D", {"pool_size": 3, "strides": 2, **common}, shape),
            (f"GlobalMaxPooling{rank}D", {"data_format": data_format, "keepdims": padding == "same"}, shape),
            (f"GlobalAveragePooling{rank}D", {"data_format": data_format, "keepdims": padding == "valid"}, shape),
        ]
        if rank < 3:
            grid += [
                (f"DepthwiseConv{rank}D", {"kernel_size": 3, "depth_multiplier": 2, "dilation_rate": 2, **common},
                 shape),
                (f"DepthwiseConv{rank}D", {"kernel_size": 2, "strides": 2, **common}, shape),
                (f"SeparableConv{rank}D", {"filters": 3, "kernel_size": 2, "depth_multiplier": 2, "strides": 2,
                                           **common}, shape),
                (f"SeparableConv{rank}D", {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "use_bias": False,
                                           "activation": "relu", **common}, shape),
            ]
    grid += [
        ("Conv1D", {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 4)),
        ("Conv1D", {"filters": 4, "kernel_size": 2, "padding": "causal", "strides": 2, "groups": 4,
                    "data_format": "channels_first"}, (2, 4, 9)),
        ("Conv3DTranspose", {"filters": 2, "kernel_size": (2, 3, 1), "strides": (2, 1, 3), "padding": "same",
                             "output_padding": (1, 0, 2)}, (1, 3, 2, 2, 2)),
        ("BatchNormalization", {"gamma_regularizer": "l2", "beta_regularizer": "l1", "beta_constraint": "non_neg"},
         (3, 4)),
        ("LayerNormalization", {"gamma_regularizer": "l2", "gamma_constraint": "non_neg"}, (3, 4)),
        ("GroupNormalization", {"groups": 2, "beta_regularizer": "l2", "gamma_constraint": "non_neg"}, (3, 4)),
    ]
    return grid


def _json_ready(value):
    if isinstance(value, (tuple, list)):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items() if k != "registered_name"}
    return value


def _compare(fs, keras, name, kwargs, shape) -> list[str]:
    problems = []
    x = np.random.default_rng(len(name) + len(kwargs)).normal(size=shape)
    theirs = getattr(keras.layers, name)(**kwargs)
    out_theirs = np.asarray(theirs(x))
    ours = getattr(fs.layers, name)(**kwargs)
    ours(x)
    names_theirs = [(v.name, tuple(v.shape)) for v in theirs.weights]
    names_ours = [(v.name, tuple(v.shape)) for v in ours.weights]
    if names_ours != names_theirs:
        problems.append(f"weights {names_ours} != Keras {names_theirs}")
        return problems
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    out_ours = np.asarray(fs.ops.convert_to_numpy(ours(x)))
    if out_ours.shape != out_theirs.shape:
        problems.append(f"shape {out_ours.shape} != Keras {out_theirs.shape}")
    else:
        loose = next((reason for key, reason in FLOAT32_IN_KERAS.items() if key in name), None)
        rtol = 1e-6 if loose else 1e-12
        if not np.allclose(out_ours, out_theirs, rtol=rtol, atol=rtol):
            problems.append(f"outputs differ (max |diff| {np.max(np.abs(out_ours - out_theirs)):.3e})")
        elif loose:
            print(f"    [float64 within {rtol}: {loose}]")
    for batch in (shape[0], None):
        batched = (batch, *shape[1:])
        if tuple(ours.compute_output_shape(batched)) != tuple(theirs.compute_output_shape(batched)):
            problems.append(f"compute_output_shape({batched}) {ours.compute_output_shape(batched)} != Keras "
                            f"{theirs.compute_output_shape(batched)}")
    symbolic = type(ours).from_config(ours.get_config())(fs.Input(shape=shape[1:]))
    if tuple(symbolic.shape[1:]) != out_theirs.shape[1:]:
        problems.append(f"symbolic shape {symbolic.shape} != {out_theirs.shape}")
    config_ours, config_theirs = ours.get_config(), theirs.get_config()
    ignored = {"name", "trainable", "dtype", "lora_rank", "lora_alpha"}
    if config_theirs.get("activity_regularizer") is None:
        ignored.add("activity_regularizer")  # fitspec writes it only when set
    missing, extra = set(config_theirs) - set(config_ours) - ignored, set(config_ours) - set(config_theirs)
    compared = next((keys for key, keys in CONFIG_KEYS_COMPARED.items() if key in name), None)
    if compared is not None:
        missing, extra = set(compared) - set(config_ours), set()
        ignored |= set(config_ours) - set(compared)
    if missing or extra:
        problems.append(f"config keys: missing {sorted(missing)}, extra {sorted(extra)}")
    for key in sorted(set(config_ours) & set(config_theirs) - ignored):
        if _json_ready(config_ours[key]) != _json_ready(config_theirs[key]):
            problems.append(f"config[{key!r}] {config_ours[key]!r} != Keras {config_theirs[key]!r}")
    return problems


def _compare_signature(fs, keras, name) -> list[str]:
    """The constructor's argument names, in Keras's order (fitspec's defaults may be ints where Keras writes tuples
    of them: the same value once normalized)."""
    ours = [p for p in inspect.signature(getattr(fs.layers, name)).parameters if p != "kwargs"]
    theirs = [p for p in inspect.signature(getattr(keras.layers, name)).parameters
              if p != "kwargs" and p not in ARGUMENTS_NOT_TAKEN]
    return [] if ours == theirs else [f"arguments {ours} != Keras {theirs}"]


NAMES = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D",
         "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
         "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
         "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
         "LayerNormalization", "GroupNormalization"]
ALIASES = ["Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose", "Convolution2DTranspose",
           "Convolution3DTranspose", "SeparableConvolution1D", "SeparableConvolution2D", "MaxPool1D", "MaxPool2D",
           "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"]


def check() -> int:
    """Compare every configuration of the grid, every constructor's arguments and every alias; return how many
    differ."""
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    failures = 0

    def verdict(what: str, problems: list[str]) -> None:
        nonlocal failures
        print(f"{'DIFFERS from' if problems else 'agrees with'} Keras {keras.__version__}: {what}")
        for problem in problems:
            print(f"    {problem}")
        failures += bool(problems)

    for name, kwargs, shape in _grid():
        verdict(f"layer {name}({kwargs}) on {shape}", _compare(fs, keras, name, kwargs, shape))
    for name in NAMES:
        verdict(f"arguments of {name}", _compare_signature(fs, keras, name))
    for alias in ALIASES:
        same = getattr(keras.layers, alias).__name__ == getattr(fs.layers, alias).__name__
        verdict(f"alias layers.{alias}", [] if same else [f"{getattr(fs.layers, alias).__name__} != Keras "
                                                        f"{getattr(keras.layers, alias).__name__}"])
    return failures

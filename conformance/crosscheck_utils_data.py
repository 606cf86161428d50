"""Cross-check of issue 16's data utilities and config against Keras 3 (JAX backend, float64), outside fit():
timeseries windows, split_dataset, the Progbar's averaged values as printed, and the effect of `set_epsilon` on
every formula that reads it. `check()` prints one line per comparison and returns how many differ."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np

TIMESERIES = {
    "defaults": {"sequence_length": 4},
    "stride, rate, batch": {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 2, "batch_size": 5},
    "start and end": {"sequence_length": 2, "start_index": 3, "end_index": 25, "batch_size": 4},
    "no targets": {"sequence_length": 5, "batch_size": 3, "targets": None},
    "unbatched": {"sequence_length": 3, "batch_size": None},
    "shuffled (as a set)": {"sequence_length": 3, "batch_size": 4, "shuffle": True, "seed": 11},
}
SPLITS = {
    "array, int left": (lambda x, y: x, {"left_size": 7}),
    "tuple, fraction left": (lambda x, y: (x, y), {"left_size": 0.75}),
    "list, both sizes": (lambda x, y: [x, y], {"left_size": 0.5, "right_size": 0.25}),
    "tuple, right only": (lambda x, y: (x, y), {"right_size": 6}),
    "tuple, shuffled with a seed": (lambda x, y: (x, y), {"left_size": 0.6, "shuffle": True, "seed": 1234}),
}


def _flat(items) -> list:
    return [np.asarray(leaf) for item in items for leaf in (item if isinstance(item, tuple) else (item,))]


def _windows(items, batched: bool) -> list:
    """Every (window, target) of a dataset's items, as sortable text, whatever batches they came in."""
    out = []
    for item in items:
        windows, targets = item if isinstance(item, tuple) else (item, None)
        rows = zip(windows, targets if targets is not None else [None] * len(windows)) if batched else [
            (windows, targets)]
        out.extend(f"{np.asarray(w).tolist()}|{None if t is None else np.asarray(t).tolist()}" for w, t in rows)
    return sorted(out)


def timeseries(keras, fs) -> dict[str, str | None]:
    data = np.arange(60.0).reshape(30, 2)
    targets = np.arange(30) * 10
    out = {}
    for name, arguments in TIMESERIES.items():
        arguments = {"targets": targets, **arguments}
        ours = list(fs.utils.timeseries_dataset_from_array(data, **arguments))
        theirs = list(keras.utils.timeseries_dataset_from_array(data, **arguments).as_numpy_iterator())
        if arguments.get("shuffle"):  # Keras shuffles again in a tf.data buffer (docs/SPEC.md deviations)
            batched = arguments.get("batch_size", 128) is not None
            same = _windows(ours, batched) == _windows(theirs, batched)
        else:
            a, b = _flat(ours), _flat(theirs)
            same = len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))
        out[f"timeseries_dataset_from_array({name})"] = None if same else f"{len(ours)} != Keras {len(theirs)} items"
    return out


def split(keras, fs) -> dict[str, str | None]:
    x = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    out = {}
    for name, (make, arguments) in SPLITS.items():
        ours = fs.utils.split_dataset(make(x, y), **arguments)
        theirs = keras.utils.split_dataset(make(x, y), **arguments)
        problem = None
        for side, half, dataset in zip(("left", "right"), ours, theirs):
            samples = list(dataset.as_numpy_iterator())
            columns = [np.asarray(c) for c in zip(*samples)] if isinstance(samples[0], tuple) else [np.asarray(
                samples)]
            mine = list(half) if isinstance(half, tuple) else [half]
            if len(mine) != len(columns) or not all(np.array_equal(a, b) for a, b in zip(mine, columns)):
                problem = f"{side} half differs"
        out[f"split_dataset({name})"] = problem
    return out


def _printed_values(text: str) -> str:
    """The ` - name: value` part of a progress line, without terminal escapes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).strip().splitlines()[-1]
    return text[text.index(" - ", text.index("/step")):] if " - " in text[text.index("/step"):] else ""


def progbar(keras, fs) -> dict[str, str | None]:
    updates = [(1, [("loss", 1.0), ("acc", 0.5)]), (4, [("loss", 4.0), ("acc", 0.25)]), (6, [("loss", 2.5)]),
               (8, [("loss", 0.125), ("acc", np.array([0.2, 0.4]))])]
    out = {}
    for name, arguments in {"averaged": {}, "stateful acc": {"stateful_metrics": ["acc"]},
                            "stateless loss only": {"stateless_metrics": ["loss"]}}.items():
        texts = []
        for module in (fs, keras):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                bar = module.utils.Progbar(10, verbose=2, **arguments)
                for current, values in updates:
                    bar.update(current, values)
                bar.update(10, [("loss", 0.5)])
            texts.append(_printed_values(buffer.getvalue()))
        out[f"Progbar({name}) text"] = None if texts[0] == texts[1] else f"{texts[0]!r} != Keras {texts[1]!r}"
    return out


def epsilon(keras, fs) -> dict[str, str | None]:
    """Each formula that reads epsilon, in both libraries at epsilon 1e-3, on inputs where epsilon matters."""
    t = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 0.0], [0.2, 0.8, 0.0]])
    tiny_t, tiny_p = t * 1e-4 + 1e-5, p * 1e-4  # sums of the order of epsilon
    w = np.array([[1e-4, 0.0], [0.0, 2e-4]])
    calls = {
        "binary_crossentropy": lambda m: m.losses.binary_crossentropy(t, p),
        "categorical_crossentropy": lambda m: m.losses.categorical_crossentropy(t, p),
        "kl_divergence": lambda m: m.losses.kl_divergence(t, p),
        "poisson": lambda m: m.losses.poisson(t, p),
        "mean_absolute_percentage_error": lambda m: m.losses.mean_absolute_percentage_error(t, p),
        "mean_squared_logarithmic_error": lambda m: m.losses.mean_squared_logarithmic_error(t - 0.5, p),
        "dice": lambda m: m.losses.Dice()(tiny_t, tiny_p),
        "tversky": lambda m: m.losses.Tversky()(tiny_t, tiny_p),
        "F1Score": lambda m: _metric(m.metrics.F1Score(average=None, threshold=0.5), t, p),
        "MeanIoU": lambda m: _metric(m.metrics.MeanIoU(num_classes=3), np.array([0, 1]), np.array([0, 2])),
        "ConcordanceCorrelation": lambda m: _metric(m.metrics.ConcordanceCorrelation(), tiny_t, tiny_p),
        "AUC thresholds": lambda m: np.asarray(m.metrics.AUC(num_thresholds=4).thresholds),
        "UnitNorm": lambda m: m.constraints.UnitNorm(axis=0)(w),
        "MaxNorm": lambda m: m.constraints.MaxNorm(max_value=1e-4, axis=0)(w),
    }
    out = {}
    try:
        keras.config.set_epsilon(1e-3)
        fs.config.set_epsilon(1e-3)
        for name, call in calls.items():
            ours = np.asarray(fs.ops.convert_to_numpy(call(fs)), dtype=np.float64)
            theirs = np.asarray(keras.ops.convert_to_numpy(call(keras)), dtype=np.float64)
            close = ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-7, atol=1e-12)
            out[f"epsilon 1e-3: {name}"] = None if close else f"{ours.ravel()[:4]} != Keras {theirs.ravel()[:4]}"
    finally:
        keras.config.set_epsilon(1e-7)
        fs.config.set_epsilon(1e-7)
    return out


def _metric(metric, y, p):
    metric.update_state(y, p)
    return metric.result()


def check() -> int:
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    differ = 0
    for part in (timeseries, split, progbar, epsilon):
        for name, problem in part(keras, fs).items():
            print(f"{'DIFFERS from' if problem else 'agrees with'} Keras {keras.__version__}: {name}"
                  + (f": {problem}" if problem else ""))
            differ += bool(problem)
    return differ

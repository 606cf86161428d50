"""The data utilities and config of issue 16: split_dataset and timeseries windows equal numpy slicing, epsilon is
each backend's and moves every clip as Keras's, Progbar averages as Keras's, interactive logging can be turned off."""

from __future__ import annotations

import io
import logging
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.assertions import assert_close
from conformance.tolerances import tolerance


# -- split_dataset ---------------------------------------------------------------------------------------------
def expected_split(arrays, left, right, shuffle, seed):
    n = len(arrays[0])
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)  # Keras: random.seed(seed); random.shuffle(samples)
    return [a[order[:left]] for a in arrays], [a[order[n - right:]] for a in arrays]


@given(n=st.integers(2, 30), data=st.data(), shuffle=st.booleans(), seed=st.integers(0, 2**31))
def test_split_dataset_takes_the_first_and_last_samples_as_numpy_slicing(fs, n, data, shuffle, seed):
    fraction = data.draw(st.booleans(), "fraction")
    if fraction:
        left_size = data.draw(st.floats(0.01, 0.99), "left_size")
        left = round(left_size * n)
        if not 0 < left < n:
            with pytest.raises(ValueError, match="split_dataset"):
                fs.utils.split_dataset(np.zeros(n), left_size=left_size)
            return
    else:
        left_size = left = data.draw(st.integers(1, n - 1), "left_size")
    right_size = data.draw(st.one_of(st.none(), st.integers(1, n - left)), "right_size")
    right = n - left if right_size is None else right_size
    x, y = np.arange(n * 2.0).reshape(n, 2), np.arange(n)
    expected = expected_split([x, y], left, right, shuffle, seed)
    for dataset, unpack in ((x, lambda s: [s]), ((x, y), list), ([x, y], list),
                            ({"x": x, "y": y}, lambda s: [s["x"], s["y"]])):
        halves = fs.utils.split_dataset(dataset, left_size=left_size, right_size=right_size, shuffle=shuffle,
                                        seed=seed)
        assert len(halves) == 2
        for half, wanted in zip(halves, expected):
            assert type(half) is (tuple if isinstance(dataset, list) else type(dataset))
            for got, want in zip(unpack(half), wanted[: 1 if dataset is x else 2]):
                np.testing.assert_array_equal(got, want)


def test_split_dataset_refuses_sizes_keras_refuses_by_name(fs):
    x = np.zeros((10, 2))
    for kwargs, argument in (({}, "left_size"), ({"left_size": 0}, "left_size"), ({"left_size": 10}, "left_size"),
                             ({"left_size": 1.0}, "left_size"), ({"right_size": -1}, "right_size"),
                             ({"left_size": 0.6, "right_size": 0.5}, "right_size"),
                             ({"left_size": 6, "right_size": 5}, "right_size"), ({"left_size": "half"}, "left_size"),
                             ({"left_size": 0.01}, "left_size")):
        with pytest.raises((ValueError, TypeError), match=f"split_dataset: argument `{argument}`"):
            fs.utils.split_dataset(x, **kwargs)
    with pytest.raises(ValueError, match="`dataset` expected arrays of one length"):
        fs.utils.split_dataset((x, np.zeros(9)), left_size=2)


# -- timeseries_dataset_from_array ---------------------------------------------------------------------------------
def expected_windows(data, targets, length, stride, rate, start, end):
    data, targets = data[start:end], None if targets is None else targets[start:end]
    count = len(data) - (length - 1) * rate
    windows = [data[s + np.arange(length) * rate] for s in range(0, count, stride)]
    return windows, None if targets is None else [targets[s] for s in range(0, count, stride)]


@given(n=st.integers(4, 40), length=st.integers(1, 5), stride=st.integers(1, 3), rate=st.integers(1, 3),
       batch_size=st.one_of(st.none(), st.integers(1, 7)), with_targets=st.booleans(), data=st.data())
def test_timeseries_windows_equal_numpy_slicing(fs, n, length, stride, rate, batch_size, with_targets, data):
    start = data.draw(st.one_of(st.none(), st.integers(0, n // 3)), "start_index")
    end = data.draw(st.one_of(st.none(), st.integers(max(start or 0, n // 2) + 1, n - 1)), "end_index")
    series = np.arange(n * 2.0).reshape(n, 2)
    targets = np.arange(n) * 10 if with_targets else None
    windows, wanted_targets = expected_windows(series, targets, length, stride, rate, start or 0, end or n)
    arguments = {"sequence_stride": stride, "sampling_rate": rate, "batch_size": batch_size,
                 "start_index": start, "end_index": end}
    if not windows or rate >= n or stride >= n:
        with pytest.raises(ValueError, match="timeseries_dataset_from_array"):
            fs.utils.timeseries_dataset_from_array(series, targets, length, **arguments)
        return
    dataset = fs.utils.timeseries_dataset_from_array(series, targets, length, **arguments)
    items = list(dataset)  # a for loop walks it, as a tf.data.Dataset
    assert len(items) == len(dataset)
    if with_targets:
        items, got_targets = [i[0] for i in items], [i[1] for i in items]
    got = items if batch_size is None else [w for batch in items for w in batch]
    np.testing.assert_array_equal(np.asarray(got), np.asarray(windows))
    if with_targets:
        flat = got_targets if batch_size is None else [t for batch in got_targets for t in batch]
        np.testing.assert_array_equal(np.asarray(flat), np.asarray(wanted_targets))


def test_timeseries_shuffle_permutes_the_starts_with_numpy_random_state(fs):
    series = np.arange(30.0)
    dataset = fs.utils.timeseries_dataset_from_array(series, None, 3, batch_size=None, shuffle=True, seed=7)
    starts = np.arange(28)
    np.random.RandomState(7).shuffle(starts)
    np.testing.assert_array_equal([w[0] for w in dataset], starts)


def test_a_timeseries_dataset_is_what_fit_accepts(fs):
    series = np.random.default_rng(3).random((40, 2))
    dataset = fs.utils.timeseries_dataset_from_array(series, series[:, 0], sequence_length=4, batch_size=8)
    model = fs.Sequential([fs.Input(shape=(4, 2)), fs.layers.Flatten(), fs.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(dataset, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert model.predict(fs.utils.timeseries_dataset_from_array(series, None, 4, batch_size=8),
                         verbose=0).shape == (37, 1)


# -- epsilon ---------------------------------------------------------------------------------------------------------
def test_epsilon_moves_every_clip_as_keras_and_is_the_backends_own(fs, precision, device):
    import fitspec_numpy

    assert fs.config.epsilon() == 1e-7
    ops = fs.ops
    y, p = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    try:
        fs.config.set_epsilon(1e-3)
        assert fs.config.epsilon() == 1e-3
        if fs is not fitspec_numpy:
            assert fitspec_numpy.config.epsilon() == 1e-7  # two backends in one process: each its own
        rtol, atol = tolerance(precision, device)
        bce = float(ops.convert_to_numpy(fs.losses.binary_crossentropy(y, p)[0]))
        assert_close(bce, -np.log(1e-3), rtol, atol, "binary_crossentropy clipped at epsilon")
        cce = float(ops.convert_to_numpy(fs.losses.categorical_crossentropy(y, p)[0]))
        assert_close(cce, -np.log(1e-3), rtol, atol, "categorical_crossentropy clipped at epsilon")
        mape = float(ops.convert_to_numpy(fs.losses.mean_absolute_percentage_error(np.zeros((1, 1)),
                                                                                    np.ones((1, 1)))[0]))
        assert_close(mape, 100.0 / 1e-3, rtol, atol, "MAPE floors |y| at epsilon")
        auc = fs.metrics.AUC(num_thresholds=3)
        assert auc.thresholds[0] == -1e-3 and auc.thresholds[-1] == 1.0 + 1e-3
        with pytest.raises(ValueError, match="set_epsilon: argument `value`"):
            fs.config.set_epsilon(0)
    finally:
        fs.config.set_epsilon(1e-7)


# -- Progbar and interactive logging ------------------------------------------------------------------------------
def test_progbar_averages_over_steps_as_keras(fs):
    stream = io.StringIO()
    bar = fs.utils.Progbar(10, verbose=2, stateful_metrics=["acc"], stream=stream)
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    bar.update(4, [("loss", 4.0), ("acc", 0.25)])  # 3 steps at 4.0: (1 + 12) / 4
    bar.add(2, [("loss", 2.0)])  # 2 more steps: (13 + 4) / 6
    assert bar._shown() == {"loss": 17.0 / 6, "acc": 0.25}
    bar.update(10, [("loss", 0.5)])  # the final update shows the value given
    assert stream.getvalue().endswith(" - loss: 0.5000 - acc: 0.2500\n")
    with pytest.raises(ValueError, match="Progbar: argument `stateless_metrics`"):
        fs.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_disabled_interactive_logging_sends_the_progress_bar_to_the_logger(fs, capsys, caplog):
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert fs.config.is_interactive_logging_enabled()
    try:
        fs.config.disable_interactive_logging()
        assert not fs.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="fitspec"):
            model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=1)
    finally:
        fs.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "fitspec"]
    assert messages[0] == "Epoch 1/1" and messages[1].startswith("1/1 ") and " - loss: " in messages[1]

"""The data path: every sample once per epoch, the split, the batch defaults, the shuffle order."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitspec.data import ArrayDataset, epoch_permutation
from fitspec.data_adapters import ArrayAdapter, EpochIterator, get_adapter


@given(size=st.integers(1, 300), batch=st.integers(1, 64), shuffle=st.booleans(), epoch=st.integers(0, 5),
       spe=st.integers(1, 4))
def test_every_sample_appears_exactly_once_per_epoch(size, batch, shuffle, epoch, spe):
    ids = np.arange(size, dtype=np.float64)
    iterator = EpochIterator(ArrayAdapter(ArrayDataset(ids, ids), batch, shuffle, 3), steps_per_execution=spe)
    seen, last_step = [], -1
    for step, group in iterator.epoch(epoch):
        assert 1 <= len(group) <= spe
        assert step == last_step + len(group)
        last_step = step
        for x, y in group:
            np.testing.assert_array_equal(x, y)
            seen.extend(x.tolist())
    assert sorted(seen) == ids.tolist()
    assert last_step + 1 == -(-size // batch)


def test_batch_size_defaults_to_32_and_keeps_the_last_partial_batch():
    iterator = EpochIterator(get_adapter(np.zeros((70, 2)), np.zeros(70)))
    sizes = [len(x) for _, group in iterator.epoch(0) for x, _ in group]
    assert sizes == [32, 32, 6]


def test_shuffle_order_is_a_function_of_seed_and_epoch():
    np.testing.assert_array_equal(epoch_permutation(50, 7, 2), epoch_permutation(50, 7, 2))
    assert not np.array_equal(epoch_permutation(50, 7, 2), epoch_permutation(50, 7, 3))
    assert not np.array_equal(epoch_permutation(50, 7, 2), epoch_permutation(50, 8, 2))


@given(size=st.integers(2, 200), fraction=st.floats(0.01, 0.99))
def test_validation_split_takes_the_last_fraction_before_shuffling(size, fraction):
    ids = np.arange(size)
    first_val = int(np.floor(size * (1 - fraction)))
    dataset = ArrayDataset(ids, ids)
    if first_val in (0, size):
        with pytest.raises(ValueError, match="validation_split"):
            dataset.split(fraction)
        return
    train, val = dataset.split(fraction)
    np.testing.assert_array_equal(train.x, ids[:first_val])
    np.testing.assert_array_equal(val.x, ids[first_val:])


def test_fit_shuffles_identically_on_every_run_with_the_same_seed(fs):
    seen = []

    class Record(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(logs["loss"]))

    x = np.linspace(0, 1, 40).reshape(20, 2)
    y = np.arange(20, dtype=np.float64).reshape(20, 1)
    for _ in range(2):
        fs.utils.set_random_seed(5)
        model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[Record()])
    assert seen[:10] == seen[10:]


def _recording_model(fs):
    """Sequential Dense(1) with lr 0: the logged per-step losses identify the batches."""
    fs.utils.set_random_seed(0)
    model = fs.Sequential([fs.Input(shape=(2,)), fs.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def _step_losses(fs, model, *args, **kwargs):
    seen = []

    class Record(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(round(float(logs["loss"]), 6))

    model.fit(*args, verbose=0, callbacks=[Record()], **kwargs)
    return seen


XS = np.arange(24, dtype=np.float64).reshape(12, 2) / 10
YS = np.arange(12, dtype=np.float64).reshape(12, 1) / 5


def _recorded_batches(fs, features, *args, **kwargs) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every (x, y) batch a train step saw, as float64 numpy arrays (an eager model records them)."""
    seen_x, seen_y = [], []

    class RecordX(fs.layers.Layer):
        def call(self, inputs, training=None):
            if training:  # not the forward passes that build the model before the first step
                seen_x.append(np.asarray(fs.ops.convert_to_numpy(inputs), dtype=np.float64))
            return inputs

    def record_y(y_true, y_pred):
        seen_y.append(np.asarray(fs.ops.convert_to_numpy(y_true), dtype=np.float64))
        return fs.ops.mean((y_true - y_pred) ** 2)

    fs.utils.set_random_seed(0)
    model = fs.Sequential([fs.Input(shape=(features,)), RecordX(), fs.layers.Dense(1)])
    model.compile(optimizer=fs.optimizers.SGD(learning_rate=0.0), loss=record_y, run_eagerly=True)
    model.fit(*args, verbose=0, **kwargs)
    assert len(seen_x) == len(seen_y)
    return list(zip(seen_x, seen_y))


def _sources(fs, x, y, batch_size):
    """name -> (fit's positional arguments, keyword arguments): every source the installed frameworks offer."""
    starts = range(0, len(x), batch_size)

    class Batches(fs.utils.PyDataset):
        def __len__(self):
            return len(starts)

        def __getitem__(self, i):
            return x[starts[i] : starts[i] + batch_size], y[starts[i] : starts[i] + batch_size]

    def generator():
        while True:
            for start in starts:
                yield x[start : start + batch_size], y[start : start + batch_size]

    sources = {
        "arrays": ((x, y), {"batch_size": batch_size, "shuffle": False}),
        "PyDataset": ((Batches(),), {"shuffle": False}),
        "generator": ((generator(),), {"steps_per_epoch": len(starts)}),
    }
    if importlib.util.find_spec("tensorflow"):  # every framework installed beside the backend under test
        import tensorflow as tf

        sources["tf.data"] = ((tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size),), {})
    if importlib.util.find_spec("torch"):
        import torch.utils.data

        dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        sources["DataLoader"] = ((torch.utils.data.DataLoader(dataset, batch_size=batch_size),), {})
    return sources


@settings(max_examples=12)
@given(size=st.integers(1, 20), batch_size=st.integers(1, 8), features=st.integers(1, 3), epochs=st.integers(1, 2),
       data=st.data())
def test_every_source_yields_identical_batches_for_identical_data(fs, size, batch_size, features, epochs, data):
    """Arrays, a PyDataset, a generator (with steps_per_epoch), tf.data and a DataLoader over the same samples in
    the same order: every step of every epoch sees the same x and y, exactly (values are multiples of 1/8)."""
    eighths = st.integers(-64, 64).map(lambda k: k / 8)
    x = np.asarray(data.draw(st.lists(eighths, min_size=size * features, max_size=size * features)))
    x = x.reshape(size, features)
    y = np.asarray(data.draw(st.lists(eighths, min_size=size, max_size=size))).reshape(size, 1)
    starts = range(0, size, batch_size)
    expected = [(x[s : s + batch_size], y[s : s + batch_size]) for s in starts] * epochs
    for name, (args, kwargs) in _sources(fs, x, y, batch_size).items():
        seen = _recorded_batches(fs, features, *args, epochs=epochs, **kwargs)
        assert len(seen) == len(expected), f"{name}: {len(seen)} steps, expected {len(expected)}"
        for step, ((sx, sy), (ex, ey)) in enumerate(zip(seen, expected)):
            np.testing.assert_array_equal(sx, ex, err_msg=f"{name}: x of step {step}")
            np.testing.assert_array_equal(sy, ey, err_msg=f"{name}: y of step {step}")


@given(workers=st.integers(2, 4), shuffle=st.booleans())
def test_a_py_dataset_with_workers_yields_the_batches_of_one_worker(fs, workers, shuffle):
    class Batches(fs.utils.PyDataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return XS[2 * i : 2 * i + 2], YS[2 * i : 2 * i + 2]

    fs.utils.set_random_seed(1)
    one = _step_losses(fs, _recording_model(fs), Batches(workers=1), epochs=2, shuffle=shuffle)
    fs.utils.set_random_seed(1)
    many = _step_losses(fs, _recording_model(fs), Batches(workers=workers, max_queue_size=3), epochs=2,
                        shuffle=shuffle)
    assert many == one


@given(weights=st.lists(st.floats(0.1, 3.0), min_size=3, max_size=3))
def test_class_weight_equals_the_equivalent_sample_weight(fs, weights):
    labels = (np.arange(12) % 3).astype(np.float64)
    class_weight = dict(enumerate(weights))
    sample_weight = np.asarray([class_weight[int(c)] for c in labels])
    by_class = _step_losses(fs, _recording_model(fs), XS, labels, class_weight=class_weight, batch_size=5,
                            shuffle=False)
    by_sample = _step_losses(fs, _recording_model(fs), XS, labels, sample_weight=sample_weight, batch_size=5,
                             shuffle=False)
    assert by_class == by_sample


def test_a_source_that_yields_targets_rejects_y(fs):
    def generator():
        yield XS, YS

    with pytest.raises(ValueError, match=r"`y`.*None when x is a generator.*received"):
        _recording_model(fs).fit(generator(), YS, verbose=0, steps_per_epoch=1)


def test_a_batch_of_the_wrong_arity(fs):
    def generator():
        while True:
            yield XS, YS, np.ones(12), np.ones(12)

    with pytest.raises(ValueError, match=r"\(x, y, sample_weight\).*tuple of 4"):
        _recording_model(fs).fit(generator(), verbose=0, steps_per_epoch=1)


def test_a_py_dataset_whose_getitem_returns_the_wrong_arity(fs):
    class FourTuples(fs.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return XS, YS, np.ones(12), np.ones(12)

    with pytest.raises(ValueError, match=r"\(x, y, sample_weight\).*tuple of 4"):
        _recording_model(fs).fit(FourTuples(), verbose=0)


def test_validation_split_needs_arrays(fs):
    def generator():
        while True:
            yield XS, YS

    with pytest.raises(ValueError, match=r"`validation_split`.*not arrays"):
        _recording_model(fs).fit(generator(), verbose=0, steps_per_epoch=1, validation_split=0.5)


def test_steps_per_epoch_beyond_a_finite_source_continues_with_its_next_pass(fs):
    """3 batches, 2 steps per epoch, 3 epochs: batches 0 1 | 2 0 | 1 2 (Keras 3 would end epoch 2 early)."""
    x, y = (np.arange(12).reshape(6, 2) / 4), YS[:6]  # quarters: exact in float32 too
    args, kwargs = _sources(fs, x, y, batch_size=2)["PyDataset"]
    seen = _recorded_batches(fs, 2, *args, epochs=3, steps_per_epoch=2, **kwargs)
    for (sx, _), index in zip(seen, [0, 1, 2, 0, 1, 2], strict=True):
        np.testing.assert_array_equal(sx, x[2 * index : 2 * index + 2])


def test_a_generator_that_runs_out_says_so(fs):
    def generator():
        yield XS, YS

    with pytest.raises(ValueError, match=r"steps_per_epoch.*ran out"):
        _recording_model(fs).fit(generator(), verbose=0, steps_per_epoch=2)


def test_a_batch_size_for_a_source_that_batches_itself_is_ignored_with_a_warning(fs):
    class Batches(fs.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return XS[4 * i : 4 * i + 4], YS[4 * i : 4 * i + 4]

    with pytest.warns(UserWarning, match=r"`batch_size=64` is ignored: x is a PyDataset"):
        losses = _step_losses(fs, _recording_model(fs), Batches(), batch_size=64, epochs=1, shuffle=False)
    assert len(losses) == 3

"""The data path: every sample once per epoch, the split, the batch defaults, the shuffle order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fitspec.data import ArrayDataset, EpochIterator, epoch_permutation


@given(size=st.integers(1, 300), batch=st.integers(1, 64), shuffle=st.booleans(), epoch=st.integers(0, 5),
       spe=st.integers(1, 4))
def test_every_sample_appears_exactly_once_per_epoch(size, batch, shuffle, epoch, spe):
    ids = np.arange(size, dtype=np.float64)
    iterator = EpochIterator(ArrayDataset(ids, ids), batch_size=batch, shuffle=shuffle, seed=3,
                             steps_per_execution=spe)
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
    iterator = EpochIterator(ArrayDataset(np.zeros((70, 2)), np.zeros(70)))
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

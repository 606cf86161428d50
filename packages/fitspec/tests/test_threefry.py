"""Threefry-2x32 as written once in the core: the published known answers, on plain numpy uint32 words."""

from __future__ import annotations

import numpy as np
import pytest

from fitspec import threefry


class NumpyWords(threefry.Words):
    """uint32 arrays: numpy's arithmetic wraps as Threefry needs."""

    def constant(self, values):
        return np.asarray(values, dtype=np.uint32)

    def from_key(self, key):
        return np.uint32(key[0]), np.uint32(key[1])

    def to_key(self, high, low):
        return np.array([high, low], dtype=np.uint32)

    def counters(self, shape):
        low = np.arange(int(np.prod(shape)), dtype=np.uint32).reshape(shape)
        return np.zeros_like(low), low

    def add(self, a, b):
        return np.add(a, b, dtype=np.uint32)

    def xor(self, a, b):
        return np.bitwise_xor(a, b, dtype=np.uint32)

    def bitwise_or(self, a, b):
        return np.bitwise_or(a, b, dtype=np.uint32)

    def shift_left(self, a, n):
        return np.left_shift(a, np.uint32(n), dtype=np.uint32)

    def shift_right(self, a, n):
        return np.right_shift(a, np.uint32(n), dtype=np.uint32)


WORDS = NumpyWords()


@pytest.mark.parametrize(("key", "counter", "expected"), [
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
])
def test_the_rounds_give_the_random123_known_answers(key, counter, expected):
    k1, k2 = WORDS.constant(key)
    x1, x2 = WORDS.constant([counter[0]]), WORDS.constant([counter[1]])
    assert [int(w[0]) for w in threefry.hash2x32(WORDS, k1, k2, x1, x2)] == list(expected)


def test_a_draw_hashes_the_flat_index_of_each_entry():
    key = WORDS.constant([7, 9])
    high, low = threefry.hashed_counters(WORDS, key, (2, 3))
    for index in range(6):
        one = threefry.hash2x32(WORDS, *WORDS.from_key(key), WORDS.constant([0]), WORDS.constant([index]))
        assert (high.ravel()[index], low.ravel()[index]) == (one[0][0], one[1][0])


def test_split_keys_are_the_hashes_of_0_and_1_and_a_seed_state_advances_its_low_word():
    key = WORDS.constant([1, 2])
    first, second = threefry.split(WORDS, key)
    for i, part in enumerate((first, second)):
        hashed = threefry.hash2x32(WORDS, *WORDS.from_key(key), WORDS.constant([0]), WORDS.constant([i]))
        assert part.tolist() == [int(hashed[0][0]), int(hashed[1][0])]
    assert threefry.advance(WORDS, WORDS.constant([5, 0xFFFFFFFF])).tolist() == [5, 0]  # wraps without carry

"""Dropout inside a recurrent cell (docs/SPEC.md RNN.6): `dropout` masks the cell's inputs, `recurrent_dropout`
its recurrent state, in training only, with masks drawn once per sequence from the portable generator
(`fs.random.dropout` with the cell's SeedGenerator) and used at every step, as Keras 3's DropoutRNNCell.

The RNN draws a sequence's masks before its loop (`begin_sequence`, at every call as Keras does, so the generator
advances as Keras's) and drops them after (`end_sequence`): the loop body draws nothing, the same on every backend
and inside jax.lax.scan or a tf.while_loop.
"""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.random import check_seed


def check_dropout_rate(where: str, argument: str, rate) -> float:
    """A recurrent dropout rate: a number in [0, 1) (Keras ignores 1 on LSTM / GRU and divides by 0 on SimpleRNN)."""
    if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.integer, np.floating)) or not (
            0 <= rate < 1):
        raise invalid_argument(where, argument, "a float in [0, 1)", rate)
    return float(rate)


class RecurrentDropout:
    """Mixed into a cell. `mask_count`: the masks of each kind, one shared by all gates, or one per gate (Keras's
    LSTM / GRU `implementation=1`, which `recurrent_dropout` selects, and ConvLSTM's)."""

    mask_count = 1

    def _take_dropout(self, where: str, dropout, recurrent_dropout, seed) -> None:
        from fitspec.layers.regularization import seed_generator

        self.dropout = check_dropout_rate(where, "dropout", dropout)
        self.recurrent_dropout = check_dropout_rate(where, "recurrent_dropout", recurrent_dropout)
        self.seed = None if seed is None else check_seed(where, seed)
        if self.dropout or self.recurrent_dropout:  # a generator only where it draws: its state is a variable
            self.seed_generator = seed_generator(self, where)
        self._sequence_masks = None

    def _draw(self, like, rate: float) -> list:
        ones = self.ops.ones_like(like)
        return [self.backend.api.random.dropout(ones, rate, seed=self.seed_generator) for _ in range(self.mask_count)]

    def begin_sequence(self, step_input, state) -> None:
        """Draw this sequence's masks, shaped like one step's input and like the first state: the input masks
        first, then the recurrent ones (Keras's order)."""
        self._sequence_masks = (self._draw(step_input, self.dropout) if self.dropout else None,
                                self._draw(state, self.recurrent_dropout) if self.recurrent_dropout else None)

    def end_sequence(self) -> None:
        self._sequence_masks = None

    def dropout_masks(self, inputs, state, training) -> tuple:
        """(input masks, recurrent masks) of this step, each None outside training or at rate 0; a cell called
        outside an RNN draws masks for this call."""
        if not training or not (self.dropout or self.recurrent_dropout):
            return None, None
        if self._sequence_masks is not None:
            return self._sequence_masks
        self.begin_sequence(inputs, state)
        masks, self._sequence_masks = self._sequence_masks, None
        return masks


def begin_sequences(cell, step_input, states) -> list:
    """Before an RNN's loop: each dropout cell draws its masks (a stack's cells in order, each one's inputs shaped
    like the previous one's outputs). As Keras 3, at every call, in inference too (the masks then go unused), so the
    generator advances as Keras's does. Returns the cells to `end_sequence` after the loop."""
    if isinstance(cell, RecurrentDropout):
        if not (cell.dropout or cell.recurrent_dropout):
            return []
        cell.begin_sequence(step_input, _first(states))
        return [cell]
    began = []
    for inner, inner_states in zip(getattr(cell, "cells", ()), states):
        began += begin_sequences(inner, step_input, _as_list(inner_states))
        size = getattr(inner, "output_size", None)
        if size is None:
            size = _first(getattr(inner, "state_size", None))
        if size is None:  # a user cell without sizes: the cells after it draw nothing
            break
        step_input = cell.ops.zeros((cell.ops.shape(step_input)[0], size), dtype=cell.ops.dtype(step_input))
    return began


def _as_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _first(states):
    return states[0] if isinstance(states, (list, tuple)) else states

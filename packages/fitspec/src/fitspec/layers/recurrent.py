"""Recurrent layers: the cells SimpleRNNCell, LSTMCell, GRUCell, the `RNN` that runs any cell over time, and
SimpleRNN, LSTM, GRU (docs/SPEC.md "Recurrent").

A cell is any layer with `state_size` and `call(inputs, states) -> (output, new_states)`. `RNN` runs it over
the time axis with `ops.scan` (each backend's loop engine: jax.lax.scan, a tf.while_loop, a Python loop on
numpy and torch; a Python loop everywhere with `unroll=True`). Where the mask is False at a step, the states
carry over unchanged and the output repeats the previous step's (the first state), as in Keras 3. A `stateful`
RNN keeps its final states in variables (`RecurrentStates`) and starts the next call from them.
"""

from __future__ import annotations

import inspect

import numpy as np
import optree

from fitspec import activations
from fitspec.errors import invalid_argument
from fitspec.layers import weight_arguments
from fitspec.layers.layer import Layer
from fitspec.layers.recurrent_dropout import RecurrentDropout, begin_sequences
from fitspec.scan_loop import scan_by_loop


def _check_units(where, units):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise invalid_argument(where, "units", "a positive int", units)
    return int(units)


def project(ops, x, kernel, masks, gates: int, product=None):
    """product(x, kernel) (default x @ kernel) with x's dropout masks: none, one for every gate, or one per gate (the
    kernel's last axis in `gates` blocks, block g fed x * masks[g])."""
    product = product or ops.matmul
    if masks is None:
        return product(x, kernel)
    if len(masks) == 1:
        return product(x * masks[0], kernel)
    width = kernel.shape[-1] // gates
    return ops.concatenate([product(x * mask, kernel[..., g * width:(g + 1) * width])
                            for g, mask in enumerate(masks)], axis=-1)


class _GatedCell(RecurrentDropout, Layer):
    """What the three cells share: units, activations, kernel / recurrent_kernel / bias with their initializers,
    regularizers and constraints, dropout masks (fitspec.layers.recurrent_dropout), Keras's argument names."""

    #: gates per unit: the kernel is (input_dim, gates * units)
    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 implementation=2, **kwargs):
        where = type(self).__name__
        if implementation not in (1, 2):
            raise invalid_argument(where, "implementation", "1 or 2", implementation)
        super().__init__(**kwargs)
        self.units = _check_units(where, units)
        self.activation = activations.get(activation, self.ops)
        self.recurrent_activation = activations.get(recurrent_activation, self.ops)
        self.use_bias = bool(use_bias)
        weight_arguments.take(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        weight_arguments.take(self, "recurrent", recurrent_initializer, recurrent_regularizer, recurrent_constraint)
        weight_arguments.take(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self._take_dropout(where, dropout, recurrent_dropout, seed)
        if self.recurrent_dropout and self.gates > 1:
            implementation = 1  # as Keras: recurrent dropout takes the per-gate form
        self.implementation = implementation
        self.mask_count = self.gates if implementation == 1 else 1

    def _add_kernels(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise invalid_argument(self.name, "inputs", "a known last dimension", f"<shape {input_shape}>")
        width = self.gates * self.units
        self.kernel = weight_arguments.add(self, "kernel", (input_dim, width))
        self.recurrent_kernel = weight_arguments.add(self, "recurrent", (self.units, width), name="recurrent_kernel")

    def _add_bias(self, shape, initializer=None):
        self.bias = self.add_weight(shape, initializer or self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    ) if self.use_bias else None

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [self.ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes]

    def get_config(self):
        config = {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                  "use_bias": self.use_bias, **weight_arguments.config(self, "kernel", "recurrent", "bias"),
                  "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}
        if self.gates > 1:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        if self.implementation == 1:  # Keras writes no `implementation`; fitspec keeps a per-gate form it was given
            config["implementation"] = 1
        return config


class SimpleRNNCell(_GatedCell):
    """h = activation((x·m) @ kernel + bias + (h_prev·m_r) @ recurrent_kernel); output h (m, m_r the dropout
    masks in training, else 1)."""

    #: _GatedCell's arguments this cell does not take (Keras's SimpleRNNCell has no gates)
    not_taken = ("recurrent_activation",)

    def __init__(self, units, **kwargs):
        if "recurrent_activation" in kwargs:
            raise TypeError("SimpleRNNCell: unexpected keyword argument 'recurrent_activation' (it has no gates).")
        super().__init__(units, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape)
        self._add_bias((self.units,))

    def call(self, sequence, states, training=False):
        ops = self.ops
        prev_output = states[0] if isinstance(states, (list, tuple)) else states
        input_masks, recurrent_masks = self.dropout_masks(sequence, prev_output, training)
        h = project(ops, sequence, self.kernel.value, input_masks, 1)
        if self.use_bias:
            h = h + self.bias.value
        output = self.activation(h + project(ops, prev_output, self.recurrent_kernel.value, recurrent_masks, 1))
        return output, [output] if isinstance(states, (list, tuple)) else output


class LSTMCell(_GatedCell):
    """z = x @ kernel + h_prev @ recurrent_kernel + bias, split into (i, f, g, o) of `units` each;
    c = σ(f) * c_prev + σ(i) * activation(g), h = σ(o) * activation(c) (σ the recurrent activation);
    output h, states [h, c]. `unit_forget_bias`: the bias of f starts at 1. In training, x and h_prev are
    multiplied by their dropout masks (one per gate with implementation 1) before the products."""

    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape)
        initializer = None
        if self.unit_forget_bias:
            units, base = self.units, self.bias_initializer

            def initializer(shape, dtype=None):
                return np.concatenate([np.asarray(base((units,), dtype=dtype)), np.ones((units,), dtype=dtype),
                                       np.asarray(base((2 * units,), dtype=dtype))])

        self._add_bias((4 * self.units,), initializer)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        input_masks, recurrent_masks = self.dropout_masks(inputs, h_tm1, training)
        h, c = self.lstm_step(inputs, h_tm1, c_tm1, input_masks, recurrent_masks)
        return h, [h, c]

    def lstm_step(self, inputs, h_tm1, c_tm1, input_masks, recurrent_masks, input_product=None,
                  recurrent_product=None):
        """(h, c) of one step, the gates on the last axis of product(x, kernel) (x @ kernel by default)."""
        ops, u = self.ops, self.units
        z = (project(ops, inputs, self.kernel.value, input_masks, 4, input_product)
             + project(ops, h_tm1, self.recurrent_kernel.value, recurrent_masks, 4, recurrent_product))
        if self.use_bias:
            z = z + self.bias.value
        i = self.recurrent_activation(z[..., :u])
        f = self.recurrent_activation(z[..., u:2 * u])
        c = f * c_tm1 + i * self.activation(z[..., 2 * u:3 * u])
        o = self.recurrent_activation(z[..., 3 * u:])
        return o * self.activation(c), c

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_GatedCell):
    """Gates (z, r, candidate) of `units` each; xz, xr, xh = x @ kernel + input bias.
    reset_after=True (bias (2, 3*units): input and recurrent rows): hz, hr, hh = h_prev @ recurrent_kernel +
    recurrent bias; candidate = activation(xh + r * hh). reset_after=False (bias (3*units,)): hz, hr from the
    first 2*units columns; candidate = activation(xh + (r * h_prev) @ recurrent_kernel[:, 2*units:]).
    z = σ(xz + hz), r = σ(xr + hr); h = z * h_prev + (1 - z) * candidate. In training, x and h_prev are multiplied
    by their dropout masks (one per gate with implementation 1) where they enter the products."""

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape)
        self._add_bias((2, 3 * self.units) if self.reset_after else (3 * self.units,))

    def call(self, inputs, states, training=False):
        ops, u = self.ops, self.units
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        input_masks, recurrent_masks = self.dropout_masks(inputs, h_tm1, training)
        recurrent_kernel = self.recurrent_kernel.value
        input_bias = recurrent_bias = None
        if self.use_bias:
            bias = self.bias.value
            input_bias, recurrent_bias = (bias[0], bias[1]) if self.reset_after else (bias, None)
        matrix_x = project(ops, inputs, self.kernel.value, input_masks, 3)
        if input_bias is not None:
            matrix_x = matrix_x + input_bias
        if self.reset_after:
            matrix_inner = project(ops, h_tm1, recurrent_kernel, recurrent_masks, 3)
            if recurrent_bias is not None:
                matrix_inner = matrix_inner + recurrent_bias
        else:
            matrix_inner = project(ops, h_tm1, recurrent_kernel[:, :2 * u],
                                   None if recurrent_masks is None else recurrent_masks[:2], 2)
        z = self.recurrent_activation(matrix_x[:, :u] + matrix_inner[:, :u])
        r = self.recurrent_activation(matrix_x[:, u:2 * u] + matrix_inner[:, u:2 * u])
        if self.reset_after:
            recurrent_h = r * matrix_inner[:, 2 * u:]
        else:
            candidate_h = h_tm1 if recurrent_masks is None else h_tm1 * recurrent_masks[-1]
            recurrent_h = ops.matmul(r * candidate_h, recurrent_kernel[:, 2 * u:])
        hh = self.activation(matrix_x[:, 2 * u:] + recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


_BOUND: dict = {}


def bound_to(layer, cls):
    """`cls` (a core Layer class that Keras does not export) bound to `layer`'s backend, made once per backend."""
    backend = type(layer).backend
    key = (cls, id(backend))
    if key not in _BOUND:
        base = backend.api.layers.Layer
        _BOUND[key] = type(cls.__name__, (cls, base), {"__module__": base.__module__, "__qualname__": cls.__name__})
    return _BOUND[key]


def _state_sizes(cell) -> list:
    size = getattr(cell, "state_size", None)
    if size is None:
        raise invalid_argument("RNN", "cell", "a layer with `state_size` and `call(inputs, states)`", cell)
    return list(size) if isinstance(size, (list, tuple)) else [size]


class RNN(Layer):
    """Runs `cell` over the time axis of (batch, time, features) inputs.

    Output: the last step's output (batch, units), or every step's (batch, time, units) with
    `return_sequences`; with `return_state`, a list [output, *final states]. `go_backwards` reads the
    steps last to first (and returns the sequence in that order). `initial_state` replaces the zero
    states. `mask` (batch, time): a False step keeps the states and repeats the previous output.
    `stateful`: the final states are kept (`states`, a RecurrentStates) and start the next call, until
    `reset_state()`. Dropout cells draw their masks once per call, before the loop (recurrent_dropout).
    """

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = type(self).backend.api.layers.StackedRNNCells(cell)  # the class bound to this backend
        if not isinstance(cell, Layer) or getattr(cell, "state_size", None) is None:
            raise invalid_argument("RNN", "cell", "a Layer with `state_size` and `call(inputs, states)`", cell)
        super().__init__(**kwargs)
        self.cell = cell
        for argument, value in (("return_sequences", return_sequences), ("return_state", return_state),
                                ("go_backwards", go_backwards), ("stateful", stateful), ("unroll", unroll),
                                ("zero_output_for_mask", zero_output_for_mask)):
            if not isinstance(value, (bool, np.bool_)):
                raise invalid_argument("RNN", argument, "a bool", value)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.unroll = bool(go_backwards), bool(unroll)
        self.stateful = bool(stateful)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None  # a stateful RNN's RecurrentStates, made by build

    @property
    def state_size(self):
        return self.cell.state_size

    #: the rank of the inputs (batch, time, *features)
    input_rank = 3
    input_axes = "(batch, time, features)"

    def _check_rank(self, shape):
        if len(shape) != self.input_rank:
            raise invalid_argument(self.name, "inputs", f"a {self.input_rank}-D tensor {self.input_axes}",
                                   f"<shape {tuple(shape)}>")

    def build(self, sequences_shape, initial_state_shape=None):
        self._check_rank(sequences_shape)
        cell = self.cell
        if not cell.built:
            step_shape = (sequences_shape[0], *sequences_shape[2:])
            cell._build_shapes = list(step_shape)
            cell.build(step_shape)
            cell.built = True
        if self.stateful and self.states is None:
            if sequences_shape[0] is None:
                raise invalid_argument(self.name, "stateful", "a fixed batch size (the inputs' first dimension)",
                                       f"<inputs of shape {tuple(sequences_shape)}>")
            self.states = bound_to(self, RecurrentStates)(self.get_initial_state(sequences_shape[0]), name="states")

    def _symbolic_call(self, args, kwargs):
        batch = getattr(args[0], "shape", (None,))[0] if args else None
        if self.stateful and batch is None:
            raise invalid_argument(self.name, "stateful", "a fixed batch size (Input(batch_shape=...) or "
                                   "Input(shape=..., batch_size=...))", "<inputs of unknown batch size>")
        return super()._symbolic_call(args, kwargs)

    def reset_state(self):
        """A stateful RNN's states back to zeros (nothing for another)."""
        if self.states is not None:
            self.states.reset()

    reset_states = reset_state  # Keras's other name

    def get_initial_state(self, batch_size):
        cell = self.cell
        if hasattr(cell, "get_initial_state"):
            state = cell.get_initial_state(batch_size=batch_size)
            return list(state) if isinstance(state, (list, tuple)) else [state]
        return [self.ops.zeros((batch_size, size), dtype=cell.dtype) for size in _state_sizes(cell)]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        ops = self.ops
        shape = tuple(ops.shape(sequences))
        self._check_rank(shape)
        batch, steps = shape[0], shape[1]
        if self.stateful and self.states.batch_size != batch:
            raise invalid_argument(self.name, "inputs", f"batches of {self.states.batch_size} sequences (the batch "
                                   "size of a stateful RNN's states)", f"<shape {shape}>")
        if initial_state is None:
            states = self.states.read() if self.stateful else self.get_initial_state(batch)
        else:
            states = initial_state
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        sizes = _state_sizes(self.cell)
        if len(states) != len(sizes):
            raise invalid_argument(self.name, "initial_state", f"a list of {len(sizes)} tensors (one per state)",
                                   f"<a list of {len(states)}>")
        states = optree.tree_map(lambda s: ops.cast(ops.convert_to_tensor(s), self.cell.dtype), states)
        self._check_states(batch, optree.tree_leaves(states))
        time_major = ops.transpose(sequences, (1, 0, *range(2, len(shape))))
        if mask is not None:
            if isinstance(mask, (list, tuple)):
                mask = mask[0]
            if tuple(ops.shape(mask)) != (batch, steps):
                raise invalid_argument(self.name, "mask", f"a (batch, time) = ({batch}, {steps}) mask",
                                       f"<shape {tuple(ops.shape(mask))}>")
            mask = ops.reshape(ops.transpose(ops.cast(mask, "bool"), (1, 0)),
                               (steps, batch, *[1] * (len(shape) - 2)))  # (time, batch, 1, ...)
        if self.go_backwards:
            backwards = np.arange(steps - 1, -1, -1)
            time_major = ops.take(time_major, backwards, axis=0)
            mask = None if mask is None else ops.take(mask, backwards, axis=0)
        cell = self.cell
        cell_kwargs = {"training": training} if cell._call_accepts_training and training is not None else {}

        def step(carry, x):
            states = carry
            if mask is None:
                output, new_states = cell(x, list(states), **cell_kwargs)
                return _as_list(new_states), output
            x, kept = x
            output, new_states = cell(x, list(states), **cell_kwargs)
            new_states = _as_list(new_states)
            if self.zero_output_for_mask:
                output = ops.where(kept, output, ops.zeros_like(output))
            else:  # the previous output is the first state (of the last cell, for stacked cells)
                previous = states[0]
                if isinstance(previous, (list, tuple)):
                    previous = _as_list(states[-1])[0]
                output = ops.where(kept, output, previous)
            return optree.tree_map(lambda new, old: ops.where(kept, new, old), new_states, list(states)), output

        xs = time_major if mask is None else (time_major, mask)
        began = begin_sequences(cell, time_major[0], states)
        try:
            final_states, outputs = (scan_by_loop(ops.stack, step, states, xs) if self.unroll
                                     else ops.scan(step, states, xs))
        finally:
            for dropping in began:
                dropping.end_sequence()
        if self.stateful:
            self.states.write(final_states)
        outputs = ops.transpose(outputs, (1, 0, *range(2, len(ops.shape(outputs)))))
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.return_state:
            return [output, *final_states]
        return output

    def _check_states(self, batch, flat_states) -> None:
        """Each state shaped as the initial states are ((batch, size), or a ConvLSTM's (batch, *spatial, filters))."""
        shapes = [tuple(self.ops.shape(s)) for s in optree.tree_leaves(self.get_initial_state(batch))]
        if len(flat_states) != len(shapes):
            raise invalid_argument(self.name, "initial_state", f"{len(shapes)} tensors (one per state)",
                                   f"<{len(flat_states)} tensors>")
        for state, expected in zip(flat_states, shapes):
            if tuple(self.ops.shape(state)) != expected:
                raise invalid_argument(self.name, "initial_state", f"tensors of shape {expected}",
                                       f"<shape {tuple(self.ops.shape(state))}>")

    def compute_mask(self, inputs, mask=None):
        """The input mask for the sequence output (None for the last step's), None for the states."""
        mask = optree.tree_leaves(mask)[0] if mask is not None and optree.tree_leaves(mask) else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def get_config(self):
        from fitspec.saving.serialization import serialize_keras_object

        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config):
        from fitspec.saving.serialization import deserialize_keras_object

        where = f"{cls.__name__}.from_config"
        cell = deserialize_keras_object(config.get("cell"), None, cls.backend.api, where, build=False)
        return super().from_config({**config, "cell": cell})


def _as_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


class RecurrentStates(Layer):
    """A stateful RNN's states: one non-trainable variable per state tensor, of the batch size it was built for.
    Like a SeedGenerator's state, they are variables (they travel through `stateless_call` and the step's state, so
    fit, evaluate and predict carry them from batch to batch on every backend) but not weights, as in Keras 3:
    neither `get_weights` nor `model.save` holds them."""

    def __init__(self, initial_states, **kwargs):
        super().__init__(trainable=False, **kwargs)
        leaves, self._structure = optree.tree_flatten(list(initial_states))
        self.batch_size = int(self.ops.shape(leaves[0])[0])
        self._variables = []
        for index, state in enumerate(leaves):
            variable = self.backend.Variable(np.zeros(tuple(self.ops.shape(state))), dtype=self.ops.dtype(state),
                                             trainable=False, name=f"rnn_state_{index}")
            self._track_variable(variable)
            self._variables.append(variable)
        self.built = True

    @property
    def weights(self) -> list:
        return []  # variables, not weights

    def read(self) -> list:
        """The states, as the RNN's `initial_state` (copies: torch's backward needs the values it read)."""
        return optree.tree_unflatten(self._structure, [v.value + 0 for v in self._variables])

    def write(self, states) -> None:
        for variable, state in zip(self._variables, optree.tree_leaves(list(states))):
            variable.assign(self.ops.stop_gradient(state))

    def reset(self) -> None:
        for variable in self._variables:
            variable.assign(self.ops.zeros_like(variable.value))

    def call(self, *args, **kwargs):
        raise TypeError("RecurrentStates is not callable: an RNN reads and writes it.")


class StackedRNNCells(Layer):
    """Cells run one after the other at each step: each one's output is the next one's input; the states are the
    list of each cell's states (a cell with one int `state_size` keeps its state as given)."""

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells or not all(
                isinstance(c, Layer) and getattr(c, "state_size", None) is not None for c in cells):
            raise invalid_argument("StackedRNNCells", "cells", "a non-empty list of cells (layers with `state_size`)",
                                   cells)
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is not None:
            return size
        return last.state_size[0] if isinstance(last.state_size, (list, tuple)) else last.state_size

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                states.append(cell.get_initial_state(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
                states.append([self.ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if not cell.built:
                cell._build_shapes = list(input_shape)
                cell.build(tuple(input_shape))
                cell.built = True
            size = getattr(cell, "output_size", None)
            if size is None:
                size = cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
            input_shape = (input_shape[0], size)

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = isinstance(cell_states, (list, tuple))
            kwargs = {"training": training} if cell._call_accepts_training else {}
            inputs, cell_states = cell(inputs, _as_list(cell_states), **kwargs)
            cell_states = _as_list(cell_states)
            new_states.append(cell_states if was_list or len(cell_states) != 1 else cell_states[0])
        return inputs, new_states

    def get_config(self):
        from fitspec.saving.serialization import serialize_keras_object

        return {**super().get_config(), "cells": [serialize_keras_object(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config):
        from fitspec.saving.serialization import deserialize_keras_object

        cells = [deserialize_keras_object(c, None, cls.backend.api, f"{cls.__name__}.from_config", build=False)
                 for c in config.get("cells") or []]
        return super().from_config({**config, "cells": cells})


#: the arguments of a recurrent layer that go to its RNN, not its cell
_RNN_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "name", "dtype",
                  "trainable", "input_shape", "activity_regularizer")


class _CellRNN(RNN):
    """SimpleRNN, LSTM, GRU: an RNN of its own cell, made from the cell's arguments; attributes read through."""

    cell_class = None

    def __init__(self, units, **kwargs):
        rnn_kwargs = {k: kwargs.pop(k) for k in _RNN_ARGUMENTS if k in kwargs}
        cell_class = getattr(type(self).backend.api.layers, self.cell_class.__name__, None) or bound_to(
            self, self.cell_class)  # bound to this backend
        cell = cell_class(units, dtype=rnn_kwargs.get("dtype"), trainable=rnn_kwargs.get("trainable", True), **kwargs)
        super().__init__(cell, **rnn_kwargs)

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k not in ("cell", "zero_output_for_mask")}
        cell_config = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell_config.pop(k, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return Layer.from_config.__func__(cls, {k: v for k, v in config.items()
                                                 if k not in ("cell", "zero_output_for_mask")})


def signature_of_both(cell_class, leading=("units",)):
    """The signature `LSTM(units, ...)` takes: the cell's keyword arguments and the RNN's (so configs are checked
    against what the layer takes, saving.serialization)."""
    found = {}
    for klass in (cell_class, *cell_class.__mro__[1:], RNN):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY) and parameter.name not in (
                    "self", *leading, "cell", "zero_output_for_mask", *getattr(cell_class, "not_taken", ())
            ) and parameter.name not in found:
                found[parameter.name] = parameter.default
    if "implementation" not in getattr(cell_class, "not_taken", ()):
        found.setdefault("implementation", 2)
    parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in ("self", *leading)]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
                   for name, default in found.items()]
    return inspect.Signature(parameters)


#: the cell's attributes an LSTM (GRU, SimpleRNN) reads through, as Keras's do
for _name in ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "unit_forget_bias", "reset_after", "dropout", "recurrent_dropout", "implementation",
              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
              "recurrent_constraint", "bias_constraint"):
    setattr(_CellRNN, _name, property(lambda self, name=_name: getattr(self.cell, name)))


class SimpleRNN(_CellRNN):
    """RNN(SimpleRNNCell(units, ...)): Keras's arguments of both."""

    cell_class = SimpleRNNCell

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)


class LSTM(_CellRNN):
    """RNN(LSTMCell(units, ...)): Keras's arguments of both."""

    cell_class = LSTMCell

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)


class GRU(_CellRNN):
    """RNN(GRUCell(units, ...)): Keras's arguments of both."""

    cell_class = GRUCell

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)


for _cls in (SimpleRNN, LSTM, GRU):
    _cls.__init__.__signature__ = signature_of_both(_cls.cell_class)


CLASSES = {cls.__name__: cls for cls in (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, RNN, SimpleRNN, LSTM,
                                         GRU)}

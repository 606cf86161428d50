"""Layer wrappers over time: TimeDistributed (a layer applied to every step) and Bidirectional (an RNN read both
ways, merged) (docs/SPEC.md "Recurrent")."""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.layers.wrapper import Wrapper

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _reversed_in_time(ops, x):
    steps = ops.shape(x)[1]
    return ops.take(x, np.arange(steps - 1, -1, -1), axis=1)


class TimeDistributed(Wrapper):
    """outputs[:, t] = layer(inputs[:, t]) for each step t (the step's mask, if the layer's call takes one); the
    input mask passes through."""

    supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise invalid_argument(self.name, "inputs", "a tensor of at least 3 dimensions (batch, time, ...)",
                                   f"<shape {input_shape}>")
        if not self.layer.built:
            child = (input_shape[0], *input_shape[2:])
            self.layer._build_shapes = list(child)
            self.layer.build(tuple(child))
            self.layer.built = True

    def call(self, inputs, training=None, mask=None):
        ops = self.ops
        shape = tuple(ops.shape(inputs))
        if mask is not None and tuple(ops.shape(mask))[:2] != shape[:2]:
            raise invalid_argument(self.name, "mask", f"a mask whose first two dimensions are {shape[:2]}",
                                   f"<shape {tuple(ops.shape(mask))}>")
        layer = self.layer
        parameters = layer._call_parameters
        outputs = []
        for t in range(shape[1]):
            kwargs = {}
            if "mask" in parameters and mask is not None:
                kwargs["mask"] = mask[:, t]
            if layer._call_accepts_training:
                kwargs["training"] = training
            outputs.append(layer.call(inputs[:, t], **kwargs))
        return ops.stack(outputs, axis=1)


def _renamed_copy(layer, name, **changes):
    config = {**layer.get_config(), "name": name, **changes}
    return type(layer).from_config(config)


class Bidirectional(Layer):
    """A forward copy of an RNN layer and a backward one (go_backwards flipped), both made afresh from its config;
    their outputs merged by `merge_mode` ("concat" on the last axis, "sum", "mul", "ave", or None: the pair). A
    backward sequence is put back in time order first. With return_sequences both layers output zeros at masked
    steps (Keras 3). `initial_state`: the forward layer's states, then the backward layer's."""

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        from fitspec.layers.recurrent import RNN

        if not isinstance(layer, RNN):
            raise invalid_argument("Bidirectional", "layer", "an RNN layer (RNN, SimpleRNN, LSTM, GRU)", layer)
        if backward_layer is not None and not isinstance(backward_layer, RNN):
            raise invalid_argument("Bidirectional", "backward_layer", "None or an RNN layer", backward_layer)
        if merge_mode not in MERGE_MODES:
            raise invalid_argument("Bidirectional", "merge_mode", f"one of {MERGE_MODES}", merge_mode)
        if weights is not None:
            raise invalid_argument("Bidirectional", "weights", "None (set them with set_weights)", "<weights>")
        super().__init__(**kwargs)
        base = layer.name[len("forward_"):] if layer.name.startswith("forward_") else layer.name
        self.forward_layer = _renamed_copy(layer, f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _renamed_copy(layer, f"backward_{base}", go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise invalid_argument("Bidirectional", "backward_layer", "a layer whose go_backwards differs from the "
                                   "forward layer's", backward.go_backwards)
        for attribute in ("return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise invalid_argument("Bidirectional", "backward_layer", f"the forward layer's {attribute} "
                                       f"({getattr(forward, attribute)})", getattr(backward, attribute))
        for rnn in (forward, backward):
            rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = forward.return_sequences, forward.return_state
        self.stateful = False

    def build(self, sequences_shape, initial_state_shape=None):
        for rnn in (self.forward_layer, self.backward_layer):
            if not rnn.built:
                rnn._build_shapes = list(sequences_shape)
                rnn.build(tuple(sequences_shape))
                rnn.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        ops = self.ops
        kwargs = {"mask": mask}
        if training is not None:
            kwargs["training"] = training
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = _reversed_in_time(ops, y_rev)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return [*output, *states] if self.merge_mode is None else [output, *states]
        return output

    def compute_mask(self, inputs, mask=None):
        """The input mask for each sequence output (a pair with merge_mode None), None otherwise."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            return [mask, mask] if self.merge_mode is None else mask
        return [None, None] if self.merge_mode is None else None

    def get_config(self):
        from fitspec.saving.serialization import serialize_keras_object

        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_keras_object(self.forward_layer),
                "backward_layer": serialize_keras_object(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        from fitspec.saving.serialization import deserialize_keras_object

        where, api = f"{cls.__name__}.from_config", cls.backend.api
        config = dict(config)
        config["layer"] = deserialize_keras_object(config.get("layer"), None, api, where, build=False)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_keras_object(config["backward_layer"], None, api, where,
                                                                build=False)
        return super().from_config(config)


CLASSES = {cls.__name__: cls for cls in (TimeDistributed, Bidirectional)}

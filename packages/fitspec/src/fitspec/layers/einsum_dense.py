"""EinsumDense: y = activation(einsum(equation, x, kernel) + bias), with Keras 3's shape analysis (docs/SPEC.md 8e.1).

The equation has one of three forms: `ab,bc->ac`, `...b,bc->...c` (leading axes elided) or
`ab...,bc->ac...` (trailing axes elided). Each kernel axis takes its length from the output
(`output_shape`, batch excluded) where its letter is an output letter, else from the input; the bias
spans the output from the first of `bias_axes` on, 1 on the other axes.
"""

from __future__ import annotations

import re

from fitspec import activations
from fitspec.errors import invalid_argument
from fitspec.initializers.random_initializers import VarianceScaling
from fitspec.layers import weight_arguments
from fitspec.layers.layer import Layer

_LETTERS = "[a-zA-Z]"
#: (pattern, which side is elided) for the three accepted forms
_FORMS = (
    (re.compile(rf"({_LETTERS}+),({_LETTERS}+)->({_LETTERS}+)"), None),
    (re.compile(rf"\.\.\.({_LETTERS}+),({_LETTERS}+)->\.\.\.({_LETTERS}+)"), "left"),
    (re.compile(rf"({_LETTERS}{{2,}})\.\.\.,({_LETTERS}+)->({_LETTERS}+)\.\.\."), "right"),
)


def parse_equation(where: str, equation) -> tuple[str, str, str, str | None]:
    """(input letters, kernel letters, output letters, the elided side: None, "left" or "right")."""
    if isinstance(equation, str):
        for pattern, elided_side in _FORMS:
            found = pattern.fullmatch(equation)
            if found:
                return (*found.groups(), elided_side)
    raise invalid_argument(where, "equation", "a str of the form '[X],[Y]->[Z]', '...[X],[Y]->...[Z]' or "
                           "'[X]...,[Y]->[Z]...'", equation)


def analyze_equation(where: str, equation, bias_axes, input_shape, output_shape):
    """(kernel_shape, bias_shape or None, full output shape, kernel input axes, kernel output axes)."""
    inputs, weights, outputs, elided_side = parse_equation(where, equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(inputs)
    if elided < 0 or (elided_side is None and elided):
        raise invalid_argument(where, "inputs", f"rank {len(inputs)} for the equation {equation!r}"
                               + (" or more" if elided_side else ""), f"<shape {input_shape}>")
    partial = list(output_shape)
    if elided_side == "left":
        full = [input_shape[0], *input_shape[1:elided], *partial]
        in_position = {d: elided + i for i, d in enumerate(inputs)}
        out_position = {d: elided + i for i, d in enumerate(outputs)}
    else:
        full = [input_shape[0], *partial, *(input_shape[len(input_shape) - elided:] if elided else ())]
        in_position = {d: i for i, d in enumerate(inputs)}
        out_position = {d: i for i, d in enumerate(outputs)}
    if len(full) != len(outputs) + elided:
        raise invalid_argument(where, "output_shape", f"{len(outputs) - 1} entries (the output letters of "
                               f"{equation!r} but the batch's)", tuple(output_shape))
    for letter in inputs:
        if letter in out_position and full[out_position[letter]] is not None \
                and full[out_position[letter]] != input_shape[in_position[letter]]:
            raise invalid_argument(where, "output_shape", f"{input_shape[in_position[letter]]} on axis "
                                   f"{letter!r} (the input's)", tuple(output_shape))
    for letter in outputs:
        if letter not in inputs and letter not in weights:
            raise invalid_argument(where, "equation", f"an output axis {letter!r} that the input or the kernel has",
                                   equation)
    kernel_shape, input_axes, output_axes = [], [], []
    for i, letter in enumerate(weights):
        if letter in out_position:
            kernel_shape.append(full[out_position[letter]])
            output_axes.append(i)
        elif letter in in_position:
            kernel_shape.append(input_shape[in_position[letter]])
            input_axes.append(i)
        else:
            raise invalid_argument(where, "equation", f"a kernel axis {letter!r} that the input or the output has",
                                   equation)
    if any(d is None for d in kernel_shape):
        raise invalid_argument(where, "output_shape", "a known length on every kernel axis of the output",
                               tuple(output_shape))
    bias_shape = None
    if bias_axes is not None:
        if not isinstance(bias_axes, str) or any(letter not in outputs for letter in bias_axes) or not bias_axes:
            raise invalid_argument(where, "bias_axes", f"letters of the output {outputs!r}", bias_axes)
        first = min(outputs.index(letter) for letter in bias_axes)
        offset = elided if elided_side == "left" else 0
        bias_shape = [full[offset + i] if letter in bias_axes else 1
                      for i, letter in enumerate(outputs) if i >= first]
        if elided_side == "right":
            bias_shape += [1] * elided
        if any(d is None for d in bias_shape):
            raise invalid_argument(where, "bias_axes", "output axes of known length", bias_axes)
    return tuple(kernel_shape), None if bias_shape is None else tuple(bias_shape), tuple(full), input_axes, output_axes


class EinsumDense(Layer):
    """y = activation(einsum(equation, inputs, kernel) + bias). Weights: `kernel`, then `bias` (with bias_axes).

    A VarianceScaling kernel initializer (GlorotUniform, HeNormal, ...) without input/output axes counts its fans
    over the kernel axes the equation contracts (input) and produces (output), as Keras does.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        if not isinstance(output_shape, (list, tuple)) or any(
                d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0) for d in output_shape):
            raise invalid_argument("EinsumDense", "output_shape", "an int or a tuple of positive ints or None",
                                   output_shape)
        parse_equation("EinsumDense", equation)
        self.equation = equation
        self.partial_output_shape = tuple(output_shape)
        if bias_axes is not None and (not isinstance(bias_axes, str) or not bias_axes):
            raise invalid_argument("EinsumDense", "bias_axes", "a str of output letters or None", bias_axes)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation, self.ops)
        weight_arguments.take(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        weight_arguments.take(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_equation(
            self.name, self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        initializer = self.kernel_initializer
        if isinstance(initializer, VarianceScaling) and (initializer.input_axes is None
                                                         or initializer.output_axes is None):
            initializer = type(initializer).from_config(
                {**initializer.get_config(), "input_axes": input_axes, "output_axes": output_axes})
        self._input_rank = len(input_shape)
        self.kernel = self.add_weight(kernel_shape, initializer, name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None if bias_shape is None else self.add_weight(
            bias_shape, self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
            constraint=self.bias_constraint)
        self.built = True  # also when a parent layer builds it directly (MultiHeadAttention)

    def call(self, inputs):
        ops = self.ops
        if len(ops.shape(inputs)) != self._input_rank:
            raise invalid_argument(self.name, "inputs", f"rank {self._input_rank} (the rank it was built for)",
                                   f"<shape {tuple(ops.shape(inputs))}>")
        outputs = ops.einsum(self.equation, inputs, self.kernel.value)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return analyze_equation(self.name, self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2]

    def get_config(self):
        return {
            **super().get_config(), "output_shape": list(self.partial_output_shape), "equation": self.equation,
            "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
            **weight_arguments.config(self, "kernel", "bias"),
        }


CLASSES = {"EinsumDense": EinsumDense}

"""Embedding: integer indices -> rows of a trainable (input_dim, output_dim) table."""

from __future__ import annotations

from fitspec import initializers
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer


class Embedding(Layer):
    """y[..., :] = embeddings[x[...], :]; embeddings initialised U(-0.05, 0.05) ("uniform", as in Keras).
    With `mask_zero` the output carries the mask x != 0 (docs/SPEC.md "Masking").

    Non-integer inputs are cast to int32 first. An index outside [0, input_dim) is an error wherever
    the indices can be read on the host (eager calls on CPU); inside a compiled step, or on a GPU,
    its row reads as NaN (docs/SPEC.md "Layers").
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        for argument, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise invalid_argument("Embedding", argument, "a positive int", value)
        if not isinstance(mask_zero, bool):
            raise invalid_argument("Embedding", "mask_zero", "a bool", mask_zero)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = self._regularizer(embeddings_regularizer)
        self.embeddings_constraint = self._constraint(embeddings_constraint)

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          name="embeddings", regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        ops = self.ops
        if ops.dtype(inputs) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        try:
            return ops.embedding_lookup(self.embeddings.value, inputs)
        except IndexError as error:
            raise invalid_argument(self.name, "inputs", f"indices in [0, input_dim={self.input_dim})",
                                   f"<{error}>") from error

    def compute_mask(self, inputs, mask=None):
        """With mask_zero: True where the index is not 0 (index 0 is padding), else no mask."""
        if not self.mask_zero:
            return None
        return self.ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero,
                **self._regularizer_configs("embeddings_regularizer", "embeddings_constraint")}


CLASSES = {"Embedding": Embedding}

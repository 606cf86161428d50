"""TextVectorization: strings to token indices or encodings, on the host (docs/SPEC.md 8d.L).

standardize (ASCII lower case as tf.strings.lower, Keras's punctuation class removed) -> split (runs of ASCII
whitespace, or Unicode characters) -> n-grams (each width in order, tokens joined by " ") -> a StringLookup whose
mask token is "" (index 0 in "int" mode) and OOV token "[UNK]".
"""

from __future__ import annotations

import re

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.layers.host_layers import HostLayer, adapt_inputs, as_text, check_choice, check_count, is_text
from fitspec.layers.index_lookup import LOOKUP_OUTPUT_MODES

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")
#: Keras's DEFAULT_STRIP_REGEX
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ngrams_of(tokens: list, widths: tuple) -> list:
    """tf.strings.ngrams(separator=" "): for each width in order, every window of that many tokens joined."""
    return [" ".join(tokens[i:i + width]) for width in widths for i in range(len(tokens) - width + 1)]


class TextVectorization(HostLayer):
    """See the module docstring. "int" gives each row's indices, cut or padded with 0 to
    `output_sequence_length` (else to the batch's longest row); "multi_hot" / "count" / "tf_idf" encode each row's
    tokens with depth vocabulary_size (max_tokens with pad_to_max_tokens); "one_hot" (split=None only) each
    token."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 vocabulary_size=None, **kwargs):
        where = "TextVectorization"
        if standardize is not None:
            check_choice(where, "standardize", standardize, STANDARDIZE, allow_callable=True)
        if split is not None:
            check_choice(where, "split", split, SPLIT, allow_callable=True)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_choice(where, "output_mode", output_mode, LOOKUP_OUTPUT_MODES)
        if output_mode == "one_hot" and split is not None:
            raise invalid_argument(where, "output_mode", "not 'one_hot' with a split (Keras's result has no shape); "
                                   "'one_hot' with split=None", output_mode)
        if isinstance(ngrams, int) and not isinstance(ngrams, bool):
            widths = tuple(range(1, check_count(where, "ngrams", ngrams, 1) + 1))
        elif ngrams is None or (isinstance(ngrams, (tuple, list)) and ngrams and all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in ngrams)):
            widths = None if ngrams is None else tuple(ngrams)
        else:
            raise invalid_argument(where, "ngrams", "None, an int >= 1 or a tuple of them", ngrams)
        if output_mode != "int" and output_sequence_length is not None:
            raise invalid_argument(where, "output_sequence_length", "None unless output_mode='int'",
                                   output_sequence_length)
        check_count(where, "output_sequence_length", output_sequence_length, 1, allow_none=True)
        if ragged:
            raise invalid_argument(where, "ragged", "False (fitspec has no ragged tensors)", ragged)
        super().__init__(name=name, **kwargs)
        self.standardize, self.split, self.ngrams, self.widths = standardize, split, ngrams, widths
        self.output_mode, self.output_sequence_length, self.ragged = output_mode, output_sequence_length, ragged
        self.encoding = encoding
        self.lookup_layer = self.backend.api.layers.StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights, pad_to_max_tokens=pad_to_max_tokens,
            mask_token="", output_mode=output_mode, sparse=sparse, encoding=encoding, name=f"{self.name}_lookup")

    # -- tokenization ---------------------------------------------------------------------------------------
    def _standardized(self, texts: np.ndarray) -> np.ndarray:
        if callable(self.standardize):
            return as_text(np.asarray(self.standardize(texts)), self.encoding)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            texts = np.vectorize(lambda s: s.translate(ASCII_LOWER), otypes=[str])(texts)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = np.vectorize(lambda s: PUNCTUATION.sub("", s), otypes=[str])(texts)
        return texts

    def tokenize(self, inputs) -> list:
        """Each row's tokens (a list of lists of str), after standardize, split and n-grams."""
        texts = self.host_array(inputs)
        if not is_text(texts):
            raise invalid_argument(self.name, "inputs", "strings", f"<array of dtype {texts.dtype}>")
        texts = self._standardized(as_text(texts, self.encoding))
        if texts.ndim == 0:
            texts = texts.reshape(1)
        if self.split is None:
            rows = [list(row) for row in texts.reshape(texts.shape[0], -1).tolist()]
        else:
            if texts.ndim > 1:
                if texts.ndim > 2 or texts.shape[-1] != 1:
                    raise invalid_argument(self.name, "inputs", "a rank of 1, or a last dimension of 1, to split",
                                           f"<shape {texts.shape}>")
                texts = texts[:, 0]
            if self.split == "whitespace":
                rows = [[t for t in ASCII_WHITESPACE.split(s) if t] for s in texts.tolist()]
            elif self.split == "character":
                rows = [list(s) for s in texts.tolist()]
            else:
                rows = [as_text(np.asarray(row), self.encoding).tolist() for row in self.split(texts)]
        if self.widths is not None:
            rows = [ngrams_of(row, self.widths) for row in rows]
        return rows

    # -- vocabulary -----------------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """The lookup's vocabulary from the tokens of `data` (an array or list: each entry a document; a
        PyDataset or an iterable of batches)."""
        if batch_size is not None:
            raise invalid_argument(f"{self.name}.adapt", "batch_size", "None (Keras ignores it too)", batch_size)
        lookup = self.lookup_layer
        lookup.reset_state()
        for batch, _ in adapt_inputs(f"{self.name}.adapt", data, steps):
            lookup.update_state(self.tokenize(batch))
        lookup.finalize_state()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def get_vocabulary(self, include_special_tokens=True) -> list:
        return self.lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self.lookup_layer.vocabulary_size()

    # -- the call -------------------------------------------------------------------------------------------
    def call(self, inputs):
        rows = self.tokenize(inputs)
        if self.output_mode == "int":
            width = self.output_sequence_length or max((len(r) for r in rows), default=0)
        else:
            width = max((len(r) for r in rows), default=0)
        padded = np.full((len(rows), width), "", dtype=object)
        for i, row in enumerate(rows):
            row = row[:width]
            padded[i, :len(row)] = row
        padded = padded.astype(str) if padded.size else np.zeros((len(rows), width), dtype=str)
        if self.output_mode == "int":
            return self.lookup_layer.lookup(padded)
        # the padding "" is the mask token: it encodes as nothing
        return self.lookup_layer.call(padded)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        lookup = self.lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup.vocabulary_size()
        return (input_shape[0], depth)

    def get_config(self):
        lookup = self.lookup_layer
        lookup_config = lookup.get_config()
        return {**super().get_config(), "max_tokens": lookup.max_tokens, "standardize": self.standardize,
                "split": self.split, "ngrams": self.ngrams, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse, "ragged": self.ragged,
                "vocabulary": lookup_config["vocabulary"], "idf_weights": lookup_config["idf_weights"],
                "encoding": self.encoding, "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config: dict):
        """A registered standardize / split function comes back from its serialized form (Keras's rule)."""
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                config[key] = cls.backend.api.saving.deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)


CLASSES = {cls.__name__: cls for cls in (TextVectorization,)}

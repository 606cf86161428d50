"""IntegerLookup and StringLookup: tokens to vocabulary indices and back, on the host (docs/SPEC.md 8d.L).

Index layout (Keras's): [mask (only with a mask_token and output_mode "int")] [num_oov_indices OOV indices]
[the vocabulary's tokens]. `adapt` orders tokens by count, high to low, ties by the token, high to low (strings
by their UTF-8 bytes), and keeps the first max_tokens - (mask + OOV indices).
"""

from __future__ import annotations

import collections
import math
import os

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.layers.hashing import hash_buckets, salt_pair
from fitspec.layers.host_layers import (
    HostLayer,
    adapt_inputs,
    check_choice,
    check_count,
    encode_on_host,
    refuse_sparse,
    text_or_numbers,
)

LOOKUP_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _listed(value) -> list:
    """A vocabulary or idf_weights (list, tuple, array, tensor) as a Python list."""
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value).tolist()


class IndexLookup(HostLayer):
    """What IntegerLookup and StringLookup share; `vocabulary_dtype` is "int64" or "string"."""

    vocabulary_dtype = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 salt=None, oov_method="floormod", vocabulary_size=None, has_input_vocabulary=None, **kwargs):
        where = type(self).__name__
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        check_choice(where, "output_mode", output_mode, LOOKUP_OUTPUT_MODES)
        refuse_sparse(where, sparse)
        super().__init__(**kwargs)
        self.max_tokens = check_count(where, "max_tokens", max_tokens, 2, allow_none=True)
        self.num_oov_indices = check_count(where, "num_oov_indices", num_oov_indices, 0)
        if invert and output_mode != "int":
            raise invalid_argument(where, "output_mode", "'int' when invert=True", output_mode)
        if idf_weights is not None and output_mode != "tf_idf":
            raise invalid_argument(where, "idf_weights", "None unless output_mode='tf_idf'", idf_weights)
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise invalid_argument(where, "idf_weights", "weights beside `vocabulary` when output_mode='tf_idf'",
                                   None)
        if not isinstance(pad_to_max_tokens, bool) or (pad_to_max_tokens and self.max_tokens is None
                                                        and output_mode != "int"):
            raise invalid_argument(where, "pad_to_max_tokens", "a bool, True only with `max_tokens` set",
                                   pad_to_max_tokens)
        check_choice(where, "oov_method", oov_method, ("floormod", "farmhash"))
        salt = salt_pair(where, salt)
        if salt is not None and self.vocabulary_dtype != "string" and oov_method != "farmhash":
            raise invalid_argument(where, "salt", "None unless oov_method='farmhash'", salt)
        self.invert, self.mask_token, self.oov_token = bool(invert), mask_token, oov_token
        self.output_mode, self.pad_to_max_tokens, self.sparse = output_mode, pad_to_max_tokens, sparse
        self.salt, self.oov_method = salt, oov_method
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = vocabulary is not None if has_input_vocabulary is None else has_input_vocabulary
        self.tokens: list = []
        self._index: dict = {}  # token -> index
        self.idf_weights = None
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- indices --------------------------------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices: mask and OOV indices included."""
        return len(self.tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The token of every index (an OOV index shows `oov_token`, the mask index `mask_token`)."""
        vocabulary = [self.oov_token] * self._token_start_index() + list(self.tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocabulary[0] = self.mask_token
        return vocabulary if include_special_tokens else vocabulary[self._token_start_index():]

    def _token(self, value):
        return value if self.vocabulary_dtype == "string" else int(value)

    # -- the vocabulary -------------------------------------------------------------------------------------
    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the tokens (a list, an array, a tensor, or the path of a file of one token a line) and, for
        "tf_idf", their idf weights; given special tokens at the front ([mask] [OOV...]) are recognised."""
        where = f"{self.name}.set_vocabulary"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise invalid_argument(where, "idf_weights", "weights when output_mode='tf_idf'", None)
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise invalid_argument(where, "idf_weights", "None unless output_mode='tf_idf'", idf_weights)
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise invalid_argument(where, "vocabulary", "a list when output_mode='tf_idf'", vocabulary)
            if not os.path.isfile(vocabulary):
                raise invalid_argument(where, "vocabulary", "a list of tokens or the path of an existing file",
                                       vocabulary)
            with open(vocabulary, encoding="utf-8") as file:
                lines = file.read().splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            self._set_tokens(where, [self._token(line) for line in lines], found_special=False)
            return
        values = _listed(vocabulary)
        if not isinstance(values, list) or not values:
            raise invalid_argument(where, "vocabulary", "a non-empty list of tokens", vocabulary)
        values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = values[:token_start] == special
        self._set_tokens(where, values[token_start:] if found_special else values, found_special)
        if self.output_mode == "tf_idf":
            self._set_idf_weights(where, _listed(idf_weights), len(values), found_special)

    def _set_tokens(self, where: str, tokens: list, found_special: bool):
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise invalid_argument(where, "vocabulary", "tokens without repeats", f"<repeated: {repeated}>")
        for reserved, argument in ((self.mask_token, "mask_token"), (self.oov_token if self.invert else None,
                                                                       "oov_token")):
            if reserved is not None and reserved in tokens:
                raise invalid_argument(where, "vocabulary", f"no {argument} {reserved!r} after the special tokens "
                                       "at its front", f"<{reserved!r} at index {tokens.index(reserved)}>")
        if self.max_tokens is not None and self._token_start_index() + len(tokens) > self.max_tokens:
            raise invalid_argument(where, "vocabulary", f"at most max_tokens={self.max_tokens} indices with the "
                                   "special ones", f"<{self._token_start_index() + len(tokens)} indices>")
        self.tokens = [self._token(t) for t in tokens]
        self._index = {t: i + self._token_start_index() for i, t in enumerate(self.tokens)}

    def _set_idf_weights(self, where: str, weights: list, count: int, found_special: bool):
        weights = np.asarray(weights, dtype="float64")
        if weights.ndim != 1 or len(weights) != count:
            raise invalid_argument(where, "idf_weights", f"a list of {count} numbers (one per vocabulary entry)",
                                   f"<shape {weights.shape}>")
        front = 0 if found_special else self._token_start_index()
        front_value = 0.0 if found_special else np.mean(weights)
        back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens and self.max_tokens else 0
        self.idf_weights = np.pad(weights, (front, back), constant_values=(front_value, 0)).astype(self.floatx)

    @property
    def floatx(self) -> str:
        return self.backend.floatx()

    # -- adapt ----------------------------------------------------------------------------------------------
    def reset_state(self):
        self._counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._documents = 0

    def adapt(self, data, steps=None):
        """Count the tokens of `data` (an array, a list, a tensor: its rows; a PyDataset or an iterable of batches,
        each batch's rows) and set the vocabulary from the counts (see the module docstring)."""
        self.reset_state()
        for batch, whole in adapt_inputs(f"{self.name}.adapt", data, steps):
            array = self._host_tokens(batch)
            self.update_state(array[:, None] if whole and array.ndim == 1 else array)
        self.finalize_state()

    def _host_tokens(self, data) -> np.ndarray:
        array = text_or_numbers(f"{self.name}.adapt", self.host_array(data))
        self._check_tokens(f"{self.name}.adapt", "data", array)
        return array

    def _check_tokens(self, where: str, argument: str, array: np.ndarray):
        if array.dtype.kind not in ("U" if self.vocabulary_dtype == "string" else "iu"):
            raise invalid_argument(where, argument, f"{self.vocabulary_dtype} tokens", f"<array of dtype "
                                   f"{array.dtype}>")

    def update_state(self, rows):
        """Add the tokens of `rows` (an array: a vector is one row; or a list of token lists) to the counts."""
        if self._has_input_vocabulary:
            raise invalid_argument(f"{self.name}.adapt", "self", "a layer without a given vocabulary (Keras cannot "
                                   "adapt one either)", "<a layer given `vocabulary`>")
        if isinstance(rows, np.ndarray):
            rows = rows.reshape(1, -1) if rows.ndim <= 1 else rows.reshape(rows.shape[0], -1)
        rows = [[self._token(t) for t in np.asarray(row).tolist()] for row in rows]
        for row in rows:
            self._counts.update(row)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(row))
        self._documents += len(rows)

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            return
        counts = {t: n for t, n in self._counts.items() if t != self.mask_token and t != self.oov_token}
        order = sorted(counts, key=lambda t: (counts[t], t.encode("utf-8") if isinstance(t, str) else t),
                       reverse=True)
        if self.max_tokens:
            order = order[:self.max_tokens - self._token_start_index()]
        self._set_tokens(f"{self.name}.adapt", order, found_special=False)
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + self._documents / (1 + self._document_counts[t])) for t in order],
                           dtype=self.floatx)
            back = self.max_tokens - self.vocabulary_size() if self.pad_to_max_tokens and self.max_tokens else 0
            self.idf_weights = np.pad(idf, (self._token_start_index(), back),
                                      constant_values=(np.mean(idf, dtype=self.floatx), 0)).astype(self.floatx)
        self.reset_state()

    # -- the call -------------------------------------------------------------------------------------------
    def _require_tokens(self):
        if not self.tokens:
            raise invalid_argument(self.name, "vocabulary", "tokens, given as `vocabulary=`, by `set_vocabulary` or "
                                   "by `adapt` on data with tokens, before the layer is called", [])

    def call(self, inputs):
        values = text_or_numbers(self.name, self.host_array(inputs))
        if self.invert:
            return self._tokens_of(values)
        self._check_tokens(self.name, "inputs", values)
        indices = self.lookup(values)
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise invalid_argument(self.name, "idf_weights", "weights set by `adapt` or `set_vocabulary` "
                                       "before the layer is called", None)
            counts = encode_on_host(indices, "count", depth, self.floatx, self.name)
            return counts * self.idf_weights[:depth]
        return encode_on_host(indices, self.output_mode, depth, "int64", self.name)

    def lookup(self, values: np.ndarray) -> np.ndarray:
        """The index of each token (int64): its vocabulary index; the mask token 0 ("int") or no index (-1:
        encoded as nothing); other tokens an OOV index (one: oov start; several: value mod n for integers under
        "floormod", else the FarmHash / keyed SipHash bucket, plus oov start)."""
        self._require_tokens()
        flat = values.reshape(-1).tolist()
        missing = -2
        indices = np.array([self._index.get(self._token(v), missing) for v in flat], dtype="int64")
        if self.mask_token is not None:
            masked = np.array([self._token(v) == self.mask_token for v in flat], dtype=bool)
            indices[masked] = 0 if self.output_mode == "int" else -1
        oov = indices == missing
        if oov.any():
            if self.num_oov_indices == 0:
                unknown = sorted({flat[i] for i in np.flatnonzero(oov)}, key=str)[:5]
                raise invalid_argument(self.name, "inputs", "only tokens of the vocabulary when num_oov_indices=0 "
                                       "(set num_oov_indices=1 to map others to an OOV index)", unknown)
            start = self._oov_start_index()
            if self.num_oov_indices == 1:
                indices[oov] = start
            else:
                unknown = values.reshape(-1)[oov]
                if self.vocabulary_dtype != "string" and self.oov_method == "floormod":
                    buckets = np.mod(unknown.astype("int64"), self.num_oov_indices)
                else:
                    buckets = hash_buckets(unknown, self.num_oov_indices, self.salt)
                indices[oov] = buckets + start
        return indices.reshape(values.shape)

    def _tokens_of(self, values: np.ndarray) -> np.ndarray:
        """invert=True: the token of each index; the mask index its mask token, other unknown indices oov_token."""
        if values.dtype.kind not in "iu":
            raise invalid_argument(self.name, "inputs", "integer indices when invert=True",
                                   f"<array of dtype {values.dtype}>")
        self._require_tokens()
        start = self._token_start_index()
        flat = values.reshape(-1).tolist()
        tokens = [self.tokens[i - start] if start <= i < start + len(self.tokens) else self.oov_token for i in flat]
        if self.mask_token is not None:
            tokens = [self.mask_token if i == 0 else t for i, t in zip(flat, tokens)]
        dtype = str if self.vocabulary_dtype == "string" else "int64"
        return np.array(tokens, dtype=dtype).reshape(values.shape)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        shape = tuple(input_shape)
        if self.output_mode == "one_hot" and not (len(shape) > 1 and shape[-1] == 1):
            return (*shape, depth)
        return (*shape[:-1], depth)

    # -- config ---------------------------------------------------------------------------------------------
    def get_config(self):
        """Keras's entries; an adapted vocabulary (and its idf weights) is written as `vocabulary` with its
        special tokens, so the config alone rebuilds the layer (Keras keeps it in the saved file's assets)."""
        vocabulary, idf_weights = self.input_vocabulary, self.input_idf_weights
        if vocabulary is None and self.tokens:
            vocabulary = self.get_vocabulary()
            if self.idf_weights is not None:
                idf_weights = self.idf_weights[:self.vocabulary_size()]
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode, "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": None if idf_weights is None else _listed(idf_weights),
                "vocabulary": None if vocabulary is None else _listed(vocabulary),
                "vocabulary_size": self.vocabulary_size(), "oov_method": self.oov_method, "salt": self.salt}


class IntegerLookup(IndexLookup):
    """Integer tokens (int64) to indices (`invert=True`: indices to tokens); oov_token -1 by default; several OOV
    indices take value mod num_oov_indices ("floormod") or the FarmHash bucket of its digits ("farmhash")."""

    vocabulary_dtype = "int64"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise invalid_argument("IntegerLookup", "vocabulary_dtype", "'int64'", vocabulary_dtype)
        for argument, value in (("mask_token", mask_token), ("oov_token", oov_token)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
                raise invalid_argument("IntegerLookup", argument, "an int or None", value)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": "int64"}


class StringLookup(IndexLookup):
    """String tokens to indices (`invert=True`: indices to tokens, numpy arrays of str); oov_token "[UNK]";
    several OOV indices take the FarmHash bucket of the token (keyed SipHash with `salt`)."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        if encoding != "utf-8":
            raise invalid_argument("StringLookup", "encoding", "'utf-8' (the only encoding fitspec reads)",
                                   encoding)
        for argument, value in (("mask_token", mask_token), ("oov_token", oov_token)):
            if value is not None and not isinstance(value, str):
                raise invalid_argument("StringLookup", argument, "a string or None", value)
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, **kwargs)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


CLASSES = {cls.__name__: cls for cls in (IntegerLookup, StringLookup)}

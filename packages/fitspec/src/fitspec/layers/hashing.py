"""Hashing and HashedCrossing: values into bins by TensorFlow's string hashes, on the host (docs/SPEC.md 8d.L)."""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.layers.host_layers import (
    INTEGER_DTYPES,
    HostLayer,
    check_choice,
    check_count,
    encode_on_host,
    refuse_sparse,
    text_or_numbers,
)
from fitspec.string_hashing import MASK, fingerprint64, fingerprint_cat64, siphash24

HASHING_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")
#: tf.sparse.cross_hashed's default hash_key
CROSS_HASH_KEY = 0xDECAFCAFFE


def value_bytes(value) -> bytes:
    """What TensorFlow hashes for a value: a string's UTF-8 bytes, an integer's decimal digits (tf.as_string)."""
    return value.encode("utf-8") if isinstance(value, str) else str(int(value)).encode()


def hash_buckets(values: np.ndarray, num_buckets: int, salt=None) -> np.ndarray:
    """FarmHash Fingerprint64 (or SipHash-2-4 keyed by `salt`) of each value's bytes, modulo `num_buckets`
    (int64): tf.strings.to_hash_bucket_fast / _strong. Each distinct value is hashed once."""
    unique, inverse = np.unique(values.reshape(-1), return_inverse=True)
    if salt is None:
        buckets = [fingerprint64(value_bytes(v)) % num_buckets for v in unique.tolist()]
    else:
        buckets = [siphash24(salt, value_bytes(v)) % num_buckets for v in unique.tolist()]
    return np.asarray(buckets, dtype="int64")[inverse].reshape(values.shape)


def salt_pair(where: str, salt):
    """Keras's salt: None, an int k as [k, k], or a pair of ints as a list."""
    if salt is None:
        return None
    if isinstance(salt, int) and not isinstance(salt, bool):
        return [salt, salt]
    if isinstance(salt, (list, tuple)) and len(salt) == 2 and all(
            isinstance(s, int) and not isinstance(s, bool) for s in salt):
        return [int(s) for s in salt]
    raise invalid_argument(where, "salt", "an int or a pair of ints", salt)


def _output_dtype(where: str, output_mode: str, dtype, floatx: str):
    """(the outputs' dtype, the dtype left for the layer's policy): int64 (or int32) for "int", else floatx."""
    if output_mode == "int":
        dtype = "int64" if dtype is None else dtype
        if dtype not in INTEGER_DTYPES:
            raise invalid_argument(where, "dtype", f"one of {INTEGER_DTYPES} when output_mode='int'", dtype)
        return dtype, None
    return (dtype or floatx), dtype


class Hashing(HostLayer):
    """Each value's bin: tf.strings.to_hash_bucket_fast of its bytes (floats truncated to ints first, integers as
    their decimal digits) into `num_bins`; with `salt` (an int k, taken as (k, k), or a pair) the keyed SipHash of
    to_hash_bucket_strong. With `mask_value`, values equal to it give 0 and the others hash into num_bins - 1 bins
    shifted by 1. Encoded by `output_mode` as CategoryEncoding with depth num_bins."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, dtype=None, **kwargs):
        check_choice("Hashing", "output_mode", output_mode, HASHING_OUTPUT_MODES)
        refuse_sparse("Hashing", sparse)
        self.output_dtype, policy = _output_dtype("Hashing", output_mode, dtype, self.backend.floatx())
        super().__init__(dtype=policy, **kwargs)
        self.num_bins = check_count("Hashing", "num_bins", num_bins, 1)
        salt = salt_pair("Hashing", salt)
        if mask_value is not None and not isinstance(mask_value, (str, int)) or isinstance(mask_value, bool):
            raise invalid_argument("Hashing", "mask_value", "a string, an int or None", mask_value)
        self.mask_value, self.salt, self.output_mode, self.sparse = mask_value, salt, output_mode, sparse

    def call(self, inputs):
        values = text_or_numbers(self.name, self.host_array(inputs))
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        bins, mask = self.num_bins, None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype("int64")
        buckets = hash_buckets(values, bins, self.salt)
        if mask is not None:
            buckets = np.where(mask, 0, buckets + 1)
        return encode_on_host(buckets, self.output_mode, self.num_bins, self.output_dtype, self.name)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return (*tuple(input_shape)[:-1], self.num_bins) if input_shape else (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "dtype": self.output_dtype, "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}


class HashedCrossing(HostLayer):
    """The bin of each row's crossed features: h = FingerprintCat64 folded over the features from
    0xDECAFCAFFE (a string feature's h_i its Fingerprint64, an integer's its own 64 bits), h mod num_bins
    (tf.sparse.cross_hashed); "one_hot" encodes with depth num_bins. Inputs: a list of at least two arrays of one
    shape, (), (batch,) or (batch, 1), each of integers or strings."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        check_choice("HashedCrossing", "output_mode", output_mode, ("int", "one_hot"))
        refuse_sparse("HashedCrossing", sparse)
        self.output_dtype, policy = _output_dtype("HashedCrossing", output_mode, dtype, self.backend.floatx())
        super().__init__(name=name, dtype=policy, **kwargs)
        self.num_bins = check_count("HashedCrossing", "num_bins", num_bins, 1)
        self.output_mode, self.sparse = output_mode, sparse

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise invalid_argument(self.name, "inputs", "a list of at least two arrays", inputs)
        features = [text_or_numbers(self.name, self.host_array(x)) for x in inputs]
        shape = features[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise invalid_argument(self.name, "inputs", "arrays of shape (), (batch,) or (batch, 1)",
                                   f"<shape {shape}>")
        if any(f.shape != shape for f in features) or any(f.dtype.kind == "f" for f in features):
            raise invalid_argument(self.name, "inputs", f"integer or string arrays of one shape {shape}",
                                   [f"<{f.dtype} {f.shape}>" for f in features])
        columns = [[fingerprint64(v.encode("utf-8")) if isinstance(v, str) else int(v) & MASK
                    for v in f.reshape(-1).tolist()] for f in features]
        crossed = []
        for row in zip(*columns):
            hashed = CROSS_HASH_KEY
            for value in row:
                hashed = fingerprint_cat64(hashed, value)
            crossed.append(hashed % self.num_bins)
        buckets = np.asarray(crossed, dtype="int64").reshape(shape)
        return encode_on_host(buckets, self.output_mode, self.num_bins, self.output_dtype, self.name)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        return (*shape[:-1], self.num_bins) if shape and shape[-1] == 1 else (*shape, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "dtype": self.output_dtype, "num_bins": self.num_bins,
                "output_mode": self.output_mode, "sparse": self.sparse}


CLASSES = {cls.__name__: cls for cls in (Hashing, HashedCrossing)}

"""Shape arithmetic of convolutions and pooling, per spatial dimension (docs/SPEC.md, "Layers").

n: input length, k: window (kernel or pool) length, s: stride. The layers compute output shapes
with it, and backends whose framework has no Keras-style "same" padding pad with it.
"""

from __future__ import annotations

import math

from fitspec.errors import invalid_argument

PADDINGS = ("valid", "same")


def normalize_tuple(value, rank: int, where: str, argument: str) -> tuple[int, ...]:
    """An int or a sequence of `rank` ints, each positive, as a tuple of `rank` ints."""
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if (values is None or len(values) != rank
            or any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in values)):
        expected = "a positive int" + (f" or a tuple of {rank} positive ints" if rank > 1 else "")
        raise invalid_argument(where, argument, expected, value)
    return values


def normalize_padding(value, where: str) -> str:
    padding = value.lower() if isinstance(value, str) else value
    if padding not in PADDINGS:
        raise invalid_argument(where, "padding", "'valid' or 'same'", value)
    return padding


DATA_FORMATS = ("channels_last", "channels_first")


def normalize_data_format(value, where: str) -> str:
    """Keras's data_format: None is "channels_last" (fitspec has no image_data_format setting); case-insensitive."""
    data_format = "channels_last" if value is None else value.lower() if isinstance(value, str) else value
    if data_format not in DATA_FORMATS:
        raise invalid_argument(where, "data_format", "'channels_last' or 'channels_first'", value)
    return data_format


def output_length(n: int, k: int, s: int, padding: str) -> int:
    """valid: floor((n - k) / s) + 1 (0 when k > n); same: ceil(n / s)."""
    if padding == "same":
        return -(-n // s)
    return max((n - k) // s + 1, 0)


def same_padding(n: int, k: int, s: int) -> tuple[int, int]:
    """(before, after): pad_total = max((ceil(n/s) - 1)*s + k - n, 0), before = pad_total // 2 (Keras / TF)."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def padding_amounts(n: int, k: int, s: int, padding: str) -> tuple[int, int]:
    return same_padding(n, k, s) if padding == "same" else (0, 0)


def transpose_output_length(n: int, k: int, s: int, padding: str) -> int:
    """same: n*s; valid: (n - 1)*s + max(k, s)."""
    return n * s if padding == "same" else (n - 1) * s + max(k, s)


def transpose_crop(n: int, k: int, s: int, padding: str) -> tuple[int, int]:
    """(start, end) to take from the full transposed convolution of length (n - 1)*s + k.

    The output is full[start:end], read with zeros past the end of `full` (when k < s): start is
    same_padding(length, k, s)[0] = max(k - s, 0) // 2 for 'same', 0 for 'valid'.
    """
    length = transpose_output_length(n, k, s, padding)
    start = max(k - s, 0) // 2 if padding == "same" else 0
    return start, start + length


def transpose_as_convolution_padding(n: int, k: int, s: int, padding: str) -> tuple[int, int]:
    """(before, after) to pad the stride-dilated input with, so that its valid stride-1 convolution with the flipped
    kernel is the transposed convolution's output, full[start:end] (the dilated input has length (n - 1)*s + 1)."""
    start, end = transpose_crop(n, k, s, padding)
    before = k - 1 - start
    return before, (end - start) + k - 1 - ((n - 1) * s + 1) - before

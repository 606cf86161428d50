"""Shape arithmetic of convolutions and pooling, per spatial dimension (docs/SPEC.md, "Layers").

n: input length, k: window (kernel or pool) length, s: stride. The layers compute output shapes
with it, and backends whose framework has no Keras-style "same" padding pad with it.
"""

from __future__ import annotations

import math

from fitspec.errors import invalid_argument

PADDINGS = ("valid", "same")
#: Conv1D also takes "causal": k_eff - 1 zeros before, none after
CAUSAL_PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value, rank: int, where: str, argument: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of `rank` ints, each at least `minimum` (positive by default), as a tuple of `rank`
    ints."""
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if (values is None or len(values) != rank
            or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in values)):
        kind = "positive int" if minimum == 1 else f"int >= {minimum}"
        expected = f"a {kind}" + (f" or a tuple of {rank} {kind}s" if rank > 1 else "")
        raise invalid_argument(where, argument, expected, value)
    return values


def normalize_padding(value, where: str, allow_causal: bool = False) -> str:
    padding = value.lower() if isinstance(value, str) else value
    if padding not in (CAUSAL_PADDINGS if allow_causal else PADDINGS):
        raise invalid_argument(where, "padding", "'valid', 'same' or 'causal'" if allow_causal else "'valid' or 'same'",
                               value)
    return padding


DATA_FORMATS = ("channels_last", "channels_first")


def normalize_data_format(value, where: str) -> str:
    """Keras's data_format: None is "channels_last" (fitspec has no image_data_format setting); case-insensitive."""
    data_format = "channels_last" if value is None else value.lower() if isinstance(value, str) else value
    if data_format not in DATA_FORMATS:
        raise invalid_argument(where, "data_format", "'channels_last' or 'channels_first'", value)
    return data_format


def effective_window(k: int, d: int = 1) -> int:
    """The span of a window of k taps d apart: (k - 1)*d + 1."""
    return (k - 1) * d + 1


def output_length(n: int, k: int, s: int, padding: str, d: int = 1) -> int:
    """valid: floor((n - k_eff) / s) + 1 (0 when k_eff > n); same and causal: ceil(n / s); k_eff = (k - 1)*d + 1."""
    if padding in ("same", "causal"):
        return -(-n // s)
    return max((n - effective_window(k, d)) // s + 1, 0)


def same_padding(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """(before, after): pad_total = max((ceil(n/s) - 1)*s + k_eff - n, 0), before = pad_total // 2 (Keras / TF)."""
    total = max((math.ceil(n / s) - 1) * s + effective_window(k, d) - n, 0)
    return total // 2, total - total // 2


def padding_amounts(n: int, k: int, s: int, padding: str, d: int = 1) -> tuple[int, int]:
    """(before, after) zeros of 'valid' (none), 'same' (same_padding) or 'causal' (k_eff - 1 before: Conv1D)."""
    if padding == "causal":
        return effective_window(k, d) - 1, 0
    return same_padding(n, k, s, d) if padding == "same" else (0, 0)


def transpose_padding(k: int, s: int, padding: str, output_padding: int | None = None, d: int = 1) -> tuple[int, int]:
    """(left, right) zeros around the stride-dilated input (length (n - 1)*s + 1) whose valid stride-1 convolution
    with the flipped kernel (dilated by d) is the transposed convolution (Keras 3's rule on JAX). k_eff = (k-1)*d + 1.

    valid: left = k_eff - 1, right = k_eff - 1 + output_padding, output_padding defaulting to max(k_eff, s) - k_eff;
    same: pad = s + k_eff - 2 (output_padding None) or k_eff + k_eff % 2 - 2 + output_padding,
    left = min(ceil(pad / 2), k_eff - 1), right = pad - left.
    """
    k = effective_window(k, d)
    if padding == "valid":
        extra = max(k, s) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    total = s + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, k - 1)
    return left, total - left


def transpose_output_length(n: int, k: int, s: int, padding: str, output_padding: int | None = None,
                            d: int = 1) -> int:
    """(n - 1)*s + 1 + left + right - k_eff + 1 (transpose_padding): n*s ('same', no output_padding),
    (n - 1)*s + max(k_eff, s) ('valid', no output_padding)."""
    left, right = transpose_padding(k, s, padding, output_padding, d)
    return (n - 1) * s + 1 + left + right - effective_window(k, d) + 1


def transpose_crop(n: int, k: int, s: int, padding: str, output_padding: int | None = None,
                   d: int = 1) -> tuple[int, int]:
    """(start, end) to take from the full transposed convolution of length (n - 1)*s + k_eff (the one with
    left = right = k_eff - 1): the output is full[start:end], read with zeros past the end of `full`."""
    left, _ = transpose_padding(k, s, padding, output_padding, d)
    start = effective_window(k, d) - 1 - left
    return start, start + transpose_output_length(n, k, s, padding, output_padding, d)

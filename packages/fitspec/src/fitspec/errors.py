"""Error constructors that name the argument, what was expected and what was received."""

from __future__ import annotations


def describe(value, limit: int = 80) -> str:
    """A short, recognisable description of a received value."""
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (int, float, str)):
        return f"{type(value).__name__} of shape {tuple(shape)}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def invalid_argument(where: str, argument: str, expected: str, received) -> ValueError:
    """`ValueError` in the form `where: argument `arg` expected ...; received ...`."""
    received_text = received if isinstance(received, str) and received.startswith("<") else describe(received)
    return ValueError(f"{where}: argument `{argument}` expected {expected}; received {received_text}.")


def invalid_type(where: str, argument: str, expected: str, received) -> TypeError:
    return TypeError(f"{where}: argument `{argument}` expected {expected}; received {describe(received)}.")

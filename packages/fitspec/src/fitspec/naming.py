"""Unique, Keras-style object names: `dense`, `dense_1`, `dense_2`, ..."""

from __future__ import annotations

import collections
import re
import threading

_counts: collections.Counter = collections.Counter()
_lock = threading.Lock()


def to_snake_case(name: str) -> str:
    """Keras's rule: `Dense` -> `dense`, `Conv2D` -> `conv2d`, `GlobalMaxPooling2D` -> `global_max_pooling2d`,
    `ReLU` -> `re_lu`; a digit does not start a word."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """`prefix` the first time, then `prefix_1`, `prefix_2`, ... within this process."""
    with _lock:
        count = _counts[prefix]
        _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_names() -> None:
    with _lock:
        _counts.clear()


def by_name(*objects) -> dict:
    """{object.__name__: object} for classes or functions, in the order given: a module's table of its names."""
    return {obj.__name__: obj for obj in objects}

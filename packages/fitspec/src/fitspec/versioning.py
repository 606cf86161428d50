"""A version counter: a number that moves on every change of what it watches, so that what is cached against it
stays valid until it moves."""

from __future__ import annotations


class Version:
    """`version()` is the current number; `version.moved()` says that what it watches changed."""

    __slots__ = ("_number",)

    def __init__(self):
        self._number = 0

    def __call__(self) -> int:
        return self._number

    def moved(self) -> None:
        self._number += 1

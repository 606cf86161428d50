"""`read_only`: a public attribute that reads a private one and refuses assignment, as Keras's properties do."""

from __future__ import annotations


def read_only(attribute: str) -> property:
    """The property returning `self.<attribute>`, with no setter (assigning it raises AttributeError)."""
    return property(lambda self: getattr(self, attribute))

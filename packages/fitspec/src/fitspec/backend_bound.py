"""The base of the core classes a backend binds and that compute in a dtype (losses, metrics): the backend's ops, and
the dtype given to the constructor or else the backend's floatx."""

from __future__ import annotations

from typing import ClassVar


class BackendBound:
    """`backend` is set on the subclass that fitspec.binding makes for each backend; `_dtype` by the constructor."""

    backend: ClassVar = None
    _dtype = None

    @property
    def ops(self):
        return self.backend.ops

    @property
    def dtype(self):
        return self._dtype or self.backend.floatx()

"""Tensors of any framework (TensorFlow, PyTorch, JAX) as numpy arrays on the host.

A tensor is recognised by its type's module, so no framework is imported here; a backend takes
another framework's tensor through the host, as it takes a numpy array.
"""

from __future__ import annotations

import numpy as np

#: top-level module of a tensor type -> the framework (the backend name) it belongs to
_FRAMEWORKS = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax", "jaxlib": "jax"}
_framework_by_type: dict[type, str | None] = {}


def framework_of(x) -> str | None:
    """"tensorflow", "torch" or "jax" for a tensor of that framework, else None (looked up once per type)."""
    kind = type(x)
    if kind not in _framework_by_type:
        _framework_by_type[kind] = _FRAMEWORKS.get((kind.__module__ or "").split(".", 1)[0])
    return _framework_by_type[kind]


def is_foreign(x, backend_name: str) -> bool:
    """Whether x is a tensor of a framework other than `backend_name`'s."""
    framework = framework_of(x)
    return framework is not None and framework != backend_name


def to_numpy(x) -> np.ndarray:
    """x as a numpy array on the host: a torch tensor detached and moved to the CPU (bfloat16 as float32), a
    TensorFlow tensor or variable through `.numpy()`, anything else through `np.asarray`."""
    framework = framework_of(x)
    if framework == "torch":
        x = x.detach().cpu()
        return (x.float() if str(x.dtype) == "torch.bfloat16" else x).numpy()
    if framework == "tensorflow" and hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)

"""Dtype policies (Keras 3): the dtype a layer keeps its variables in and the dtype it computes in.

DTypePolicy(name): "mixed_float16" -> (compute float16, variables float32), "mixed_bfloat16" -> (bfloat16,
float32), a float dtype d -> (d, d); None -> the backend's global policy. The global policy is one setting per
backend (as floatx): `set_dtype_policy(policy)` sets it, `dtype_policy()` reads it (unset: the policy of floatx,
read when asked). Layers created without `dtype=` take the global policy of their creation.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.floatx import FLOAT_DTYPES

MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}
NAMES = (*MIXED, *FLOAT_DTYPES)
EXPECTED = "'mixed_float16', 'mixed_bfloat16' or a dtype name ('float32', 'int32', ...)"


def standard_name(name) -> str | None:
    """A policy's name in standard form (a dtype as numpy names it), or None if it names no policy."""
    if isinstance(name, str) and (name in NAMES):
        return name
    if isinstance(name, (str, type, np.dtype)) and not isinstance(name, bool):
        try:
            return np.dtype(name).name if np.dtype(name).kind in "biuf" else None
        except TypeError:
            return None
    return None


class DTypePolicy:
    """A name and its (compute_dtype, variable_dtype)."""

    backend: ClassVar = None

    def __init__(self, name=None):
        if name is None:
            name = global_policy_name(self.backend)
        if standard_name(name) is None:
            raise invalid_argument(type(self).__name__, "name", EXPECTED, name)
        name = standard_name(name)
        self._name = name
        self._compute_dtype, self._variable_dtype = MIXED.get(name, (name, name))

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._variable_dtype

    @property
    def quantization_mode(self):
        return None

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)


class FloatDTypePolicy(DTypePolicy):
    """Keras's alias of DTypePolicy."""


def global_policy_name(backend) -> str:
    """The name of the backend's global policy: the one set, else floatx."""
    return getattr(backend, "_dtype_policy_name", None) or backend.floatx()


def set_global_policy(backend, policy, where="config.set_dtype_policy") -> None:
    """Set the backend's global policy from a policy, its name, or None (back to floatx's)."""
    if policy is None:
        backend._dtype_policy_name = None
        return
    name = policy.name if isinstance(policy, DTypePolicy) else standard_name(policy)
    if name is None:
        raise invalid_argument(where, "policy", f"a DTypePolicy or {EXPECTED}", policy)
    backend._dtype_policy_name = name


def get(api, identifier, where="dtype_policies.get"):
    """A DTypePolicy of the backend from None (the global one), a policy, a name, or a config dict."""
    cls = api.dtype_policies.DTypePolicy
    if identifier is None:
        return cls()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(api, identifier, where=where)
    if standard_name(identifier) is None:
        raise invalid_argument(where, "dtype", f"a DTypePolicy, its config or {EXPECTED}", identifier)
    return cls(standard_name(identifier))


def serialize(policy) -> dict:
    """Keras's form: {"module": "keras", "class_name": "DTypePolicy", "config": {"name"}, "registered_name": None}."""
    if not isinstance(policy, DTypePolicy):
        raise invalid_argument("dtype_policies.serialize", "dtype_policy", "a DTypePolicy", policy)
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


def deserialize(api, config, custom_objects=None, where="dtype_policies.deserialize"):
    if not isinstance(config, dict) or config.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") \
            or not isinstance(config.get("config"), dict):
        raise invalid_argument(where, "config", "{'class_name': 'DTypePolicy', 'config': {'name': ...}}", config)
    return getattr(api.dtype_policies, config["class_name"]).from_config(config["config"])

"""Logs on the host: what a step returned, as a flat dict of Python floats, fetched in one transfer.

A value of one element becomes a float; a value of any other size (a metric whose result is a vector:
F1Score(average=None), Precision at several thresholds) stays a numpy array, as Keras 3's `pythonify_logs`
leaves what `float()` refuses (docs/SPEC.md 6.10).

`host_logs` is the one way logs reach Python: the backend's `fetch_logs` brings the whole
structure to the host at once (torch stacks the values, JAX unpacks its one vector), then the
structure is checked and flattened here. `LazyLogs` defers that until a callback reads the logs,
so a loop whose callbacks never look at per-batch logs does not wait for each step to finish.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np

from fitspec.errors import describe


def host_logs(model, logs, kind=None) -> dict:
    """`logs` of a `kind` step of `model` (or its metrics' results) as {name: float or numpy array}; nested dicts
    are flattened."""
    where = f"{type(model).__name__}.{kind.method}" if kind is not None else "get_metrics_result"
    if not isinstance(logs, dict) and not isinstance(logs, Mapping):  # dict first: no ABC check per step
        fetched = model.backend.fetch_logs(logs)
        if not isinstance(fetched, Mapping):
            if kind is not None and kind.accepts_scalar_logs and np.ndim(fetched) == 0:
                return host_logs(model, model.get_metrics_result())
            raise TypeError(f"{where} must return a dict mapping metric names to values; received {describe(logs)}.")
        return flatten_logs(where, fetched)  # a backend's packed logs
    return flatten_logs(where, model.backend.fetch_logs(logs))


def flatten_logs(where, logs) -> dict:
    """{name: float} for values of one element, {name: numpy array} for the others (Keras's `pythonify_logs`)."""
    flat = {}
    for key, value in logs.items():
        if type(value) is float:
            flat[str(key)] = value
        elif isinstance(value, Mapping):
            flat.update(flatten_logs(where, value))
        else:
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{where} must return a dict of numbers or arrays of numbers; received "
                                f"logs['{key}'] of {describe(value)}.")
            flat[str(key)] = float(array.reshape(())) if array.size == 1 else np.array(array)
    return flat


class LazyLogs(MutableMapping):
    """The logs of a `kind` step, brought to the host at the first use (`host_logs`); a dict of floats (and arrays)
    from then on."""

    __slots__ = ("_model", "_kind", "_raw", "_logs")

    def __init__(self, model, kind, logs):
        self._model, self._kind, self._raw, self._logs = model, kind, logs, None

    def _host(self) -> dict:
        if self._logs is None:
            self._logs = host_logs(self._model, self._raw, self._kind)
            self._raw = None
        return self._logs

    def __getitem__(self, key):
        return self._host()[key]

    def __setitem__(self, key, value) -> None:
        self._host()[key] = value

    def __delitem__(self, key) -> None:
        del self._host()[key]

    def __iter__(self):
        return iter(self._host())

    def __len__(self) -> int:
        return len(self._host())

    def copy(self) -> dict:
        return dict(self._host())

    def __repr__(self) -> str:
        return repr(self._host())

"""Every metric's result at an epoch's end, computed by compiled functions where the backend compiles them.

On JAX each op run eagerly compiles once per shape and dtype, so an epoch end that calls every metric's
`result()` op by op compiled dozens of small programs (8 s of a 21 s AUC case). `EpochResults` instead runs each
metric's `stateless_result` as one compiled function of its variable values (`Backend.compile_results`; JAX: a
`jax.jit`, its output packed into one vector). The function is shared by every metric of the same fitspec class,
config (its name aside) and variable shapes and dtypes, in any model of the process, so a suite or a program that
builds many models compiles each kind of metric once. A metric class defined outside fitspec gets a function of
its own (its config may not say everything its `result()` reads). The numbers are those of the eager results
(docs/SPEC.md 6.11).
"""

from __future__ import annotations

import json

from fitspec.execution.logs import flatten_logs, host_logs

#: (backend id, metric signature) -> the compiled `stateless_result` of that kind of metric
_SHARED: dict = {}


class EpochResults:
    """`results() -> {metric name: float or numpy array}` of `model.metrics` on the host, eagerly or by the
    backend's compiled functions (their outputs brought to the host in one transfer)."""

    def __init__(self, model):
        self.model = model
        self._key = None  # the metrics (by identity) and variable counts the functions were looked up for
        self._functions = None
        self._traceable = True  # False once a metric's result() needed concrete values (Python control flow)

    def __call__(self):
        model = self.model
        backend = model.backend
        if (backend.compile_results is None or not self._traceable or model.run_eagerly
                or model.jit_compile is False or _overrides_get_metrics_result(model)):
            return host_logs(model, model.get_metrics_result())
        metrics = model.metrics
        key = tuple((id(m), len(m.variables)) for m in metrics)
        if key != self._key:
            self._key, self._functions = key, [_compiled_result(backend, m) for m in metrics]
        read = backend.Variable._read_values
        try:
            results = [function(read(metric.variables)) for metric, function in zip(metrics, self._functions)]
        except Exception:  # noqa: BLE001 (a result() that cannot be traced runs eagerly; a real error raises there)
            self._traceable = False
            return host_logs(model, model.get_metrics_result())
        fetched = backend.fetch_logs(results)  # every metric's result in one transfer
        return flatten_logs("get_metrics_result", {m.name: value["result"] for m, value in zip(metrics, fetched)})


def _compiled_result(backend, metric):
    """The compiled `stateless_result` shared by the metrics of `metric`'s signature (module docs)."""
    key = (id(backend), _signature(metric))
    function = _SHARED.get(key)
    if function is None:
        function = _SHARED[key] = backend.compile_results(metric.stateless_result)
    return function


def _signature(metric):
    """What a fitspec metric's result depends on: its class, its config without its name, and its variables' shapes
    and dtypes; a metric of another class is its own signature."""
    cls = type(metric)
    if not cls.__module__.startswith("fitspec"):
        return ("instance", id(metric))
    config = {k: v for k, v in metric.get_config().items() if k != "name"}
    variables = tuple((tuple(v.shape), str(v.dtype)) for v in metric.variables)
    return (cls, json.dumps(config, sort_keys=True, default=repr), variables)


def _overrides_get_metrics_result(model) -> bool:
    from fitspec.trainer import Trainer

    return type(model).get_metrics_result is not Trainer.get_metrics_result

"""Every metric's result at an epoch's end, computed by one compiled function where the backend compiles one.

On JAX each op run eagerly compiles once per shape and dtype, so an epoch end that calls every metric's
`result()` op by op compiled dozens of small programs (8 s of a 21 s AUC case). `EpochResults` instead runs
`stateless_result` of every metric inside one function of the metrics' variable values, which the backend
compiles once per model and list of metrics (`Backend.compile_results`; JAX: one `jax.jit`, its logs packed into
one vector). The numbers are those of the eager results (docs/SPEC.md 6.11).
"""

from __future__ import annotations


class EpochResults:
    """`results() -> {metric name: result}` of `model.metrics`, eagerly or by the backend's compiled function."""

    def __init__(self, model):
        self.model = model
        self._key = None  # the metrics (by identity) and variable counts the compiled function was made for
        self._compiled = None
        self._traceable = True  # False once a metric's result() needed concrete values (Python control flow)

    def __call__(self):
        model = self.model
        compile_results = model.backend.compile_results
        if (compile_results is None or not self._traceable or model.run_eagerly or model.jit_compile is False
                or _overrides_get_metrics_result(model)):
            return model.get_metrics_result()
        metrics = model.metrics
        key = tuple((id(m), len(m.variables)) for m in metrics)
        if key != self._key:
            self._key, self._compiled = key, compile_results(_results_function(metrics))
        values = model.backend.Variable._read_values([v for m in metrics for v in m.variables])
        try:
            return self._compiled(values)
        except Exception:  # noqa: BLE001 (a result() that cannot be traced runs eagerly; a real error raises there)
            self._traceable = False
            return model.get_metrics_result()


def _results_function(metrics):
    """`results(values) -> {name: result}`: each metric's `stateless_result` of its slice of `values`."""
    counts = [len(m.variables) for m in metrics]

    def results(values):
        out, start = {}, 0
        for metric, count in zip(metrics, counts):
            out[metric.name] = metric.stateless_result(list(values[start:start + count]))
            start += count
        return out

    return results


def _overrides_get_metrics_result(model) -> bool:
    from fitspec.trainer import Trainer

    return type(model).get_metrics_result is not Trainer.get_metrics_result

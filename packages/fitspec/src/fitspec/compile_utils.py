"""What `compile()` turns its arguments into: a loss object, metric objects, an optimizer.

Names resolve to the backend's own classes through `backend.api`; "accuracy" resolves by shape
on the first batch, as in Keras: binary when y_pred has one column, sparse when y_true has one
fewer axis (or a last axis of 1), categorical otherwise.
"""

from __future__ import annotations

import inspect

from fitspec import losses as core_losses
from fitspec import metrics as core_metrics
from fitspec import optimizers as core_optimizers
from fitspec.errors import invalid_argument

ACCURACY_NAMES = ("accuracy", "acc")


def _loss_names() -> list[str]:
    return sorted({*core_losses.FUNCTIONS, *core_losses.FUNCTION_ALIASES, *core_losses.CLASSES})


def get_loss(identifier, api, where="compile", argument="loss"):
    """A Loss instance from a Loss, a Loss class, a name, or a function f(y_true, y_pred)."""
    if identifier is None:
        return None
    if isinstance(identifier, core_losses.Loss):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, core_losses.Loss):
        if identifier.call is core_losses.Loss.call:  # the abstract base would fail in the first step
            raise invalid_argument(where, argument, "a Loss subclass that implements call()", identifier)
        return identifier()
    if isinstance(identifier, str):
        name = core_losses.FUNCTION_ALIASES.get(identifier, identifier)
        class_name = core_losses.CLASS_BY_FUNCTION.get(name, name)
        if class_name not in core_losses.CLASSES:
            raise invalid_argument(where, argument, f"a Loss, a function or one of {_loss_names()}", identifier)
        return getattr(api.losses, class_name)()
    if callable(identifier):
        return api.losses.LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise invalid_argument(where, argument, f"a Loss, a function or one of {_loss_names()}", identifier)


def _metric_names() -> list[str]:
    return sorted({*core_metrics.NAMES, *ACCURACY_NAMES, *core_metrics.CLASSES})


def check_metric(identifier, where="compile", argument="metrics") -> None:
    """Fail at compile time for a metric that can never resolve."""
    if isinstance(identifier, (core_metrics.Metric, str)) or callable(identifier):
        if isinstance(identifier, str) and identifier not in _metric_names():
            expected = f"Metric objects, functions or names from {_metric_names()}"
            raise invalid_argument(where, argument, expected, identifier)
        return
    raise invalid_argument(where, argument, "Metric objects, functions or metric names", identifier)


def get_metric(identifier, api, y_true_shape, y_pred_shape):
    """A Metric instance, built for these shapes (`Metric.build`); `accuracy` resolves by them."""
    metric = _metric(identifier, api, y_true_shape, y_pred_shape)
    metric.build(y_true_shape, y_pred_shape)
    return metric


def _metric(identifier, api, y_true_shape, y_pred_shape):
    if isinstance(identifier, core_metrics.Metric):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, core_metrics.Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in ACCURACY_NAMES:
            if y_pred_shape[-1] == 1:
                cls = api.metrics.BinaryAccuracy
            elif len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
                cls = api.metrics.SparseCategoricalAccuracy
            else:
                cls = api.metrics.CategoricalAccuracy
            return cls(name=identifier)
        if identifier in core_metrics.NAMES:
            return getattr(api.metrics, core_metrics.NAMES[identifier])(name=identifier)
        return getattr(api.metrics, identifier)(name=identifier)  # Keras names it by the string, as any name
    return api.metrics.MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))


def get_optimizer(identifier, api):
    if isinstance(identifier, core_optimizers.Optimizer):
        return identifier
    names = sorted({*core_optimizers.NAMES, *core_optimizers.CLASSES})
    if isinstance(identifier, str):
        class_name = core_optimizers.NAMES.get(identifier.lower(), identifier)
        if class_name not in core_optimizers.CLASSES:  # neither a module (`schedules`) nor the abstract base
            raise invalid_argument("compile", "optimizer", f"an Optimizer or one of {names}", identifier)
        return getattr(api.optimizers, class_name)()
    raise invalid_argument("compile", "optimizer", f"an Optimizer or one of {names}", identifier)

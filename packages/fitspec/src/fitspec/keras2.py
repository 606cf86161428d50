"""Keras 2's `model.compiled_loss` and `model.compiled_metrics`, kept so Keras 2 train_steps still run.

They keep Keras 2's behaviour, which a Keras 2 train_step relies on for its logs: `compiled_loss`
returns the compiled loss (per-output weights included) + sum(regularization_losses) and also feeds
the loss trackers (weighted by the batch size); `compiled_metrics.update_state` updates the metrics
and weighted_metrics given to compile(). The first use of each warns once per process, naming the
Keras 3 replacement.
"""

from __future__ import annotations

import warnings

import optree

from fitspec.errors import invalid_argument

REPLACEMENTS = {
    "compiled_loss": (
        "`model.compiled_loss(y, y_pred, sample_weight, regularization_losses)` is Keras 2 API. "
        "In Keras 3, use `loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)` "
        "(it adds `self.losses` itself) and update the \"loss\" metric of `self.metrics` with it."
    ),
    "compiled_metrics": (
        "`model.compiled_metrics.update_state(y, y_pred)` is Keras 2 API. In Keras 3, use "
        "`for metric in self.metrics: metric.update_state(y, y_pred)` (skipping the \"loss\" metric), "
        "or `return self.compute_metrics(x, y, y_pred, sample_weight)`."
    ),
}

_warned: set[str] = set()


def warn_once(name: str) -> None:
    if name in _warned:
        return
    _warned.add(name)
    # FutureWarning: a deprecation meant for end users, shown by default (DeprecationWarning is not).
    warnings.warn(REPLACEMENTS[name], FutureWarning, stacklevel=3)


class CompiledLoss:
    """`model.compiled_loss(y_true, y_pred, sample_weight=None, regularization_losses=None)`."""

    def __init__(self, model):
        self._model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        model = self._model
        ops = model.ops
        total, output_losses = None, []
        if model._compiled_loss is not None:
            total, output_losses = model._compiled_loss(model, y_true, y_pred, sample_weight)
        for loss in regularization_losses or []:
            total = ops.sum(loss) if total is None else total + ops.sum(loss)
        if total is None:
            raise invalid_argument("compiled_loss", "loss", "a loss passed to `compile()` or regularization_losses",
                                   None)
        batch_size = ops.shape(optree.tree_leaves(y_pred)[0])[0]
        model._loss_tracker.update_state(total, sample_weight=batch_size)
        for tracker, value in zip(model._compiled_loss.trackers if model._compiled_loss else [], output_losses):
            tracker.update_state(value, sample_weight=batch_size)
        return total

    @property
    def metrics(self) -> list:
        trackers = self._model._compiled_loss.trackers if self._model._compiled_loss else []
        return [self._model._loss_tracker, *trackers]


class CompiledMetrics:
    """`model.compiled_metrics`: `update_state(y_true, y_pred, sample_weight=None)`, `metrics`, `reset_state()`.

    As in `compute_metrics`: `metrics` ignore sample_weight, `weighted_metrics` use it.
    """

    def __init__(self, model):
        self._model = model

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        model = self._model
        updates = model._metric_updates(None, [], y_true, y_pred, sample_weight, 0)
        for metric in self.metrics:
            args, kwargs = updates[id(metric)]
            metric.update_state(*args, **kwargs)

    @property
    def metrics(self) -> list:
        return self._model._compiled_metrics.metrics

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

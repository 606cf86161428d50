"""Keras 2's `model.compiled_loss` and `model.compiled_metrics`, kept so Keras 2 train_steps still run.

They keep Keras 2's behaviour, which a Keras 2 train_step relies on for its logs: `compiled_loss`
returns loss_weight * loss(y, y_pred, sample_weight) + sum(regularization_losses) and also feeds the
"loss" tracker (weighted by the batch size); `compiled_metrics.update_state` updates the metrics and
weighted_metrics given to compile(). The first use of each warns once per process, naming the Keras 3 replacement.
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
        terms = []
        if model._compile_loss is not None:
            terms.append(model._compile_loss(y_true, y_pred, sample_weight) * model._loss_weight)
        terms.extend(ops.sum(loss) for loss in regularization_losses or [])
        if not terms:
            raise invalid_argument("compiled_loss", "loss", "a loss passed to `compile()` or regularization_losses",
                                   None)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        batch_size = ops.shape(optree.tree_leaves(y_pred)[0])[0]
        model._loss_tracker.update_state(total, sample_weight=batch_size)
        return total

    @property
    def metrics(self) -> list:
        return [self._model._loss_tracker]


class CompiledMetrics:
    """`model.compiled_metrics`: `update_state(y_true, y_pred, sample_weight=None)` and `metrics`.

    As in `compute_metrics`: `metrics` ignore sample_weight, `weighted_metrics` use it.
    """

    def __init__(self, model):
        self._model = model

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        for metric in self._model._compile_metrics or []:
            metric.update_state(y_true, y_pred)
        for metric in getattr(self._model, "_compile_weighted_metrics", None) or []:
            metric.update_state(y_true, y_pred, sample_weight=sample_weight)

    @property
    def metrics(self) -> list:
        model = self._model
        return list(model._compile_metrics or []) + list(getattr(model, "_compile_weighted_metrics", None) or [])

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

"""The training loop, written once: compile, fit, evaluate, predict and the *_on_batch methods.

Division of labour: the data path (fitspec.data) makes batches; this module owns epochs, steps,
callbacks, metric resets and logs; a backend supplies only the step functions, through
`_make_train_function`, `_make_test_function` and `_make_predict_function` (see
fitspec.stateless_trainer for numpy and JAX). A step function takes a list of batches (one
execution) and returns logs; logs are pulled to Python once per execution.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import optree

from fitspec import seeding
from fitspec.callbacks import CallbackList
from fitspec.compile_utils import check_metric, get_loss, get_metric, get_optimizer
from fitspec.data import ArrayDataset, unpack_x_y_sample_weight
from fitspec.data_adapters import ArrayAdapter, EpochIterator, get_adapter
from fitspec.errors import describe, invalid_argument
from fitspec.metrics import Metric


class Trainer:
    """Mixin of `Model`: everything between `compile()` and the backend's step functions."""

    compiled = False

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto"):
        api = self.backend.api
        self.optimizer = get_optimizer(optimizer, api)
        self.loss = loss
        self._compile_loss = get_loss(loss, api)
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise invalid_argument("compile", "metrics", "a list of metrics", metrics)
        if weighted_metrics is not None and not isinstance(weighted_metrics, (list, tuple)):
            raise invalid_argument("compile", "weighted_metrics", "a list of metrics", weighted_metrics)
        for argument, identifiers in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            for m in identifiers or []:
                check_metric(m, argument=argument)
        self._metric_identifiers = list(metrics or [])
        self._weighted_metric_identifiers = list(weighted_metrics or [])
        self._compile_metrics: list[Metric] | None = None
        self._compile_weighted_metrics: list[Metric] | None = None
        if loss_weights is not None and not isinstance(loss_weights, numbers.Number):
            raise invalid_argument("compile", "loss_weights", "a float for a single-output model", loss_weights)
        self._loss_weight = 1.0 if loss_weights is None else float(loss_weights)
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise invalid_argument("compile", "steps_per_execution", "a positive int", steps_per_execution)
        self.steps_per_execution = steps_per_execution
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self._loss_tracker = api.metrics.Mean(name="loss")
        self.compiled = True
        self.stop_training = False
        self._step_functions = {}

    def _assert_compiled(self, where: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"{where}: the model must be compiled first; call `model.compile(optimizer=..., loss=...)` "
                f"before `model.{where}()`."
            )

    # -- metrics ------------------------------------------------------------------------------
    @property
    def metrics(self) -> list[Metric]:
        """The loss tracker, the compiled metrics, the weighted metrics, then metrics assigned as attributes."""
        out = []
        if self.compiled:
            out.append(self._loss_tracker)
            out.extend(self._compile_metrics or [])
            out.extend(self._compile_weighted_metrics or [])
        for layer in self._flatten_layers():
            out.extend(layer._tracked_metrics.values())
        seen, unique = set(), []
        for m in out:
            if id(m) not in seen:
                seen.add(id(m))
                unique.append(m)
        return unique

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _build_compile_metrics(self, batch) -> None:
        """Resolve metric names that depend on shapes, with one forward pass on the first batch."""
        if self._compile_metrics is not None:
            return
        identifiers = self._metric_identifiers + self._weighted_metric_identifiers
        y_pred_shape = y_shape = ()
        if any(isinstance(m, str) for m in identifiers):
            x, y, _ = unpack_x_y_sample_weight(batch)
            y_pred = self(x, training=False)
            y_pred_shape = tuple(self.ops.shape(optree.tree_leaves(y_pred)[0]))
            y_shape = np.shape(optree.tree_leaves(y)[0]) if y is not None else y_pred_shape
        api = self.backend.api
        self._compile_metrics = [get_metric(m, api, y_shape, y_pred_shape) for m in self._metric_identifiers]
        names = {m.name for m in self._compile_metrics}
        self._compile_weighted_metrics = []
        for identifier in self._weighted_metric_identifiers:
            metric = get_metric(identifier, api, y_shape, y_pred_shape)
            if metric.name in names:
                metric.name = f"weighted_{metric.name}"
            self._compile_weighted_metrics.append(metric)

    def _symbolic_build(self, batch) -> None:
        """Create model weights, optimizer slots and compiled metrics before the first step."""
        x, _, _ = unpack_x_y_sample_weight(batch)
        if not self.built:
            self(x, training=False)
        self._build_compile_metrics(batch)
        if getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)

    # -- losses and metrics of a step -----------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """loss_weight * compiled_loss(y, y_pred, sample_weight) + sum(model.losses)."""
        terms = []
        if self._compile_loss is not None:
            terms.append(self._compile_loss(y, y_pred, sample_weight) * self._loss_weight)
        terms.extend(self.ops.sum(loss) for loss in self.losses)
        if not terms:
            raise ValueError(
                "compute_loss: no loss to compute; pass `loss=` to `compile()` or call `self.add_loss()` in a layer."
            )
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics and return every metric's result (stateful backends).

        `metrics` ignore sample_weight; `weighted_metrics` use it (Keras 3).
        """
        for metric in self._compile_metrics or []:
            metric.update_state(y, y_pred)
        for metric in self._compile_weighted_metrics or []:
            metric.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        return {m.name: m.result() for m in self.metrics}

    # -- logs -------------------------------------------------------------------------------------
    def _pythonify_logs(self, logs, where: str) -> dict[str, float]:
        """One host transfer for the whole dict; every value must be a scalar."""
        if not isinstance(logs, Mapping):
            if where == "test_step" and np.ndim(self.ops.convert_to_numpy(logs)) == 0:
                # The JAX guide's test_step returns one metric's result; report every metric instead.
                return self._pythonify_logs(self.get_metrics_result(), where)
            raise TypeError(
                f"{where} must return a dict mapping metric names to scalars; received {describe(logs)}."
            )
        flat = {}
        for key, value in logs.items():
            if isinstance(value, Mapping):
                flat.update(self._pythonify_logs(value, where))
                continue
            array = np.asarray(self.ops.convert_to_numpy(value))
            if array.ndim != 0 and array.size != 1:
                raise TypeError(
                    f"{where} must return a dict of scalars; received logs['{key}'] with shape {array.shape}."
                )
            flat[str(key)] = float(array.reshape(()))
        return flat

    def _get_metrics_result_or_logs(self, logs: dict) -> dict:
        """Epoch-end logs: the metrics' results when the step's logs name exactly the model's metrics."""
        names = [m.name for m in self.metrics]
        if set(logs) == set(names):
            return self._pythonify_logs(self.get_metrics_result(), "metrics")
        return logs

    # -- data ---------------------------------------------------------------------------------------
    def _epoch_iterator(self, adapter, steps, where):
        steps_per_execution = self.steps_per_execution if self.compiled else 1
        return EpochIterator(adapter, steps_per_epoch=steps, steps_per_execution=steps_per_execution, where=where)

    # -- fit ----------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        self._assert_compiled("fit")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise invalid_argument("fit", "epochs", "a non-negative int", epochs)
        if not isinstance(initial_epoch, int) or initial_epoch < 0:
            raise invalid_argument("fit", "initial_epoch", "a non-negative int", initial_epoch)
        if validation_split and not 0.0 < validation_split < 1.0:
            raise invalid_argument("fit", "validation_split", "a float in (0, 1)", validation_split)
        adapter = get_adapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, seed=seeding.next_seed(),
                              where="fit")
        val_adapter = None
        if validation_split and validation_data is None:
            if not isinstance(adapter, ArrayAdapter):
                raise invalid_argument("fit", "validation_split", "0 when x is not arrays (pass validation_data)",
                                       validation_split)
            train, val = adapter.dataset.split(validation_split)
            adapter = ArrayAdapter(train, adapter.batch_size, adapter.shuffle, adapter.seed)
            val_adapter = ArrayAdapter(val, validation_batch_size or adapter.batch_size, False, 0)
        if validation_data is not None:
            if isinstance(validation_data, (tuple, list)):
                vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
            else:
                vx, vy, vsw = validation_data, None, None
            val_adapter = get_adapter(vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                                      where="fit(validation_data)")
        if class_weight is not None:
            adapter = ClassWeighted(adapter, class_weight)
        iterator = self._epoch_iterator(adapter, steps_per_epoch, "fit")
        self._symbolic_build(adapter.peek())
        verbose = 1 if verbose == "auto" else verbose
        cbs = CallbackList(callbacks, model=self, add_history=True, verbose=verbose, epochs=epochs,
                           steps=iterator.steps, in_fit=True)
        train_function = self._make_train_function()
        self.stop_training = False
        cbs.on_train_begin()
        training_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            logs = {}
            for step, batches in iterator.epoch(epoch):
                cbs.on_train_batch_begin(step)
                logs = self._pythonify_logs(train_function(batches), "train_step")
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(self._get_metrics_result_or_logs(logs))
            if val_adapter is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_adapter(val_adapter, validation_steps, cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(training_logs)
        return self.history

    # -- evaluate -------------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        self._assert_compiled("evaluate")
        adapter = get_adapter(x, y, sample_weight, batch_size=batch_size, where="evaluate")
        verbose = 1 if verbose == "auto" else verbose
        cbs = CallbackList(callbacks, model=self, verbose=verbose, steps=steps or adapter.num_batches, epochs=None)
        logs = self._evaluate_adapter(adapter, steps, cbs)
        if return_dict:
            return logs
        return self._flatten_logs_in_metric_order(logs)

    def _evaluate_adapter(self, adapter, steps, cbs) -> dict:
        iterator = self._epoch_iterator(adapter, steps, "evaluate")
        self._symbolic_build(adapter.peek())
        test_function = self._make_test_function()
        self.reset_metrics()
        cbs.on_test_begin()
        logs = {}
        for step, batches in iterator.epoch(0):
            cbs.on_test_batch_begin(step)
            logs = self._pythonify_logs(test_function(batches), "test_step")
            cbs.on_test_batch_end(step, logs)
        logs = self._get_metrics_result_or_logs(logs)
        cbs.on_test_end(logs)
        return logs

    def _flatten_logs_in_metric_order(self, logs: dict):
        names = [m.name for m in self.metrics]
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in logs if k not in names]
        return values[0] if len(values) == 1 else values

    # -- predict --------------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        adapter = get_adapter(x, batch_size=batch_size, where="predict")
        iterator = self._epoch_iterator(adapter, steps, "predict")
        if not self.built:
            first_x, _, _ = unpack_x_y_sample_weight(adapter.peek())
            self(first_x, training=False)
        verbose = 1 if verbose == "auto" else verbose
        cbs = CallbackList(callbacks, model=self, verbose=verbose, steps=iterator.steps, epochs=None)
        predict_function = self._make_predict_function()
        cbs.on_predict_begin()
        outputs = []
        for step, batches in iterator.epoch(0):
            cbs.on_predict_batch_begin(step)
            outputs.extend(predict_function(batches))
            cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        to_numpy = self.ops.convert_to_numpy
        return optree.tree_map(lambda *parts: np.concatenate([to_numpy(p) for p in parts], axis=0), *outputs)

    # -- single batches -------------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        sample_weight = _class_weight_to_sample_weight(class_weight, y, sample_weight)
        batch = ArrayDataset(x, y, sample_weight, where="train_on_batch")
        data = batch.batch(np.arange(batch.size))
        self._symbolic_build(data)
        logs = self._pythonify_logs(self._make_train_function()([data]), "train_step")
        logs = self._get_metrics_result_or_logs(logs)
        return logs if return_dict else self._flatten_logs_in_metric_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        batch = ArrayDataset(x, y, sample_weight, where="test_on_batch")
        data = batch.batch(np.arange(batch.size))
        self._symbolic_build(data)
        self.reset_metrics()
        logs = self._pythonify_logs(self._make_test_function()([data]), "test_step")
        logs = self._get_metrics_result_or_logs(logs)
        return logs if return_dict else self._flatten_logs_in_metric_order(logs)

    def predict_on_batch(self, x):
        batch = ArrayDataset(x, where="predict_on_batch")
        (outputs,) = self._make_predict_function()([batch.batch(np.arange(batch.size))])
        return optree.tree_map(self.ops.convert_to_numpy, outputs)

    # -- backend hooks ----------------------------------------------------------------------------------
    def _make_train_function(self):
        raise NotImplementedError

    def _make_test_function(self):
        raise NotImplementedError

    def _make_predict_function(self):
        raise NotImplementedError


class ClassWeighted:
    """An adapter whose batches carry sample_weight = class_weight[class of y] (times any given weight)."""

    def __init__(self, adapter, class_weight):
        _class_weight_to_sample_weight(class_weight, None, None, check_only=True)
        self.adapter, self.class_weight = adapter, class_weight
        self.num_batches = adapter.num_batches

    def _weighted(self, batch):
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        return (x, y, _class_weight_to_sample_weight(self.class_weight, y, sample_weight))

    def peek(self):
        return self._weighted(self.adapter.peek())

    def batches(self, pass_index):
        return (self._weighted(batch) for batch in self.adapter.batches(pass_index))

    def on_epoch_end(self):
        self.adapter.on_epoch_end()


def _class_weight_to_sample_weight(class_weight, y, sample_weight, check_only=False):
    """sample_weight[i] = class_weight[class of y[i]] (times any given sample_weight)."""
    if class_weight is None:
        return sample_weight
    if not isinstance(class_weight, Mapping):
        raise invalid_argument("fit", "class_weight", "a dict {class index: weight}", class_weight)
    if check_only:
        return None
    if y is None or isinstance(y, (dict, list, tuple)):
        raise invalid_argument("fit", "class_weight", "a single-output model with array targets `y`", y)
    y = np.asarray(y)
    if y.ndim == 0:
        raise invalid_argument("fit", "class_weight", "targets with a sample axis", y)
    classes = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y)).astype(np.int64)
    missing = sorted(set(np.unique(classes).tolist()) - set(class_weight))
    if missing:
        expected = f"a weight for every class in y, including {missing}"
        raise invalid_argument("fit", "class_weight", expected, class_weight)
    weights = np.asarray([class_weight[int(c)] for c in classes], dtype="float64")
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype="float64").reshape(len(weights), -1).mean(axis=-1)
    return weights

"""The training loop, written once: compile, fit, evaluate, predict and the *_on_batch methods.

Division of labour: the data path (fitspec.data) makes batches; this module owns epochs, steps,
callbacks, metric resets and logs; fitspec.execution runs a kind of step (train, test, predict) on
the batches of one execution, through the backend's `compile`. Logs reach Python at most once per
execution, when a callback reads them, and at the end of the epoch.

What the default steps update is planned once compile()'s losses and metrics are matched to the
outputs (fitspec.compiled.metric_update_plan), and `model.metrics` is kept until it changes: a step
on an eager backend pays for neither.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import optree

from fitspec import debug_limits, keras2, seeding
from fitspec.argument_checks import check_evaluate_arguments, check_fit_arguments, check_predict_arguments
from fitspec.callbacks import CallbackList
from fitspec.compile_utils import get_optimizer
from fitspec.compiled import (
    LOSS,
    OUTPUT_LOSS,
    CompiledLoss,
    CompiledMetrics,
    match_targets,
    metric_update_plan,
    output_names,
    single_output_parts,
)
from fitspec.data import ArrayDataset, unpack_x_y_sample_weight
from fitspec.data_adapters import ArrayAdapter, EpochIterator, get_adapter
from fitspec.data_checks import DataCheck
from fitspec.errors import invalid_argument
from fitspec.execution import PREDICT, TEST, TRAIN, EpochResults, LazyLogs, host_logs
from fitspec.fit_state import FitState
from fitspec.layers.layer import is_leaf, tracking_changed, tracking_version, unique_by_identity
from fitspec.metrics import Metric
from fitspec.optimizers import LossScaleOptimizer
from fitspec.replicas import group_of, shard_adapter, shard_batch, writes_files
from fitspec.variables import StatelessScope


class Trainer:
    """Mixin of `Model`: everything between `compile()` and the backend's step functions.

    The family mixin (fitspec.StatelessTrainer, fitspec.StatefulTrainer) sets `execution_class`.
    """

    execution_class = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What compile() sets, declared here (written to the instance dict: no attribute tracking needed).
        self.__dict__.update(
            compiled=False, optimizer=None, loss=None, _compiled_loss=None, _compiled_metrics=None,
            _loss_tracker=None, _loss_weights=None, _output_losses=[], _update_plan=None, _executions={},
            steps_per_execution=1, run_eagerly=False, jit_compile="auto", stop_training=False,
        )

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        api = self.backend.api
        self.optimizer = get_optimizer(optimizer, api)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16" and not isinstance(
                self.optimizer, LossScaleOptimizer):  # as Keras (docs/SPEC.md 3.4)
            self.optimizer = api.optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self.loss = loss
        self._compiled_loss = CompiledLoss(loss, loss_weights, api) if loss is not None else None
        self._compiled_metrics = CompiledMetrics(metrics, weighted_metrics, api)
        self._metric_identifiers, self._weighted_metric_identifiers = metrics, weighted_metrics
        self._loss_weights = loss_weights
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise invalid_argument("compile", "steps_per_execution", "a positive int", steps_per_execution)
        self.steps_per_execution = steps_per_execution
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self._loss_tracker = api.metrics.Mean(name="loss")
        self._output_losses = []
        self._update_plan = None  # what the default steps update, fixed once losses and metrics are matched
        self.compiled = True
        self.stop_training = False
        self.__dict__["_executions"] = {}
        tracking_changed()  # new metrics

    # -- Keras 2 names (the blog's train_step); each warns once, naming its Keras 3 replacement -------
    @property
    def compiled_loss(self) -> keras2.CompiledLoss:
        keras2.warn_once("compiled_loss")
        return keras2.CompiledLoss(self)

    @property
    def compiled_metrics(self) -> keras2.CompiledMetrics:
        keras2.warn_once("compiled_metrics")
        return keras2.CompiledMetrics(self)

    def _assert_compiled(self, where: str) -> None:
        if not self.__dict__.get("compiled", False):
            raise RuntimeError(
                f"{where}: the model must be compiled first; call `model.compile(optimizer=..., loss=...)` "
                f"before `model.{where}()`."
            )

    # -- metrics ------------------------------------------------------------------------------
    @property
    def metrics(self) -> list[Metric]:
        """The loss tracker, the compiled metrics, each output's loss tracker, then metrics set as attributes.

        Read on every step, so kept until what it is made of changes (compile(), the matching of compile()'s
        metrics to the outputs, a layer or metric set as an attribute: each moves the tracking version).
        """
        key = (tracking_version(), self.compiled)
        cached = self.__dict__.get("_metrics_cache")
        if cached is None or cached[0] != key:
            cached = (key, tuple(self._collect_metrics()))
            self.__dict__["_metrics_cache"] = cached  # no attribute tracking (see compute_loss)
        return list(cached[1])

    def _collect_metrics(self) -> list[Metric]:
        out = []
        if self.compiled:
            out.append(self._loss_tracker)
            out.extend(self._compiled_metrics.metrics)
            if self._compiled_loss is not None:
                out.extend(self._compiled_loss.trackers)
        for layer in self._flatten_layers():
            out.extend(layer._tracked_metrics.values())
        return unique_by_identity(out)

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _compiled_matched(self) -> bool:
        """Whether compile()'s losses and metrics are matched to the outputs (from then on they stay fixed)."""
        return self._compiled_metrics.entries is not None and (
            self._compiled_loss is None or self._compiled_loss.names is not None)

    def _build_compiled(self, batch) -> None:
        """Match losses and metrics to the outputs, with one forward pass on the first batch."""
        if self._compiled_matched():
            return
        if self._compiled_loss is None and not self._compiled_metrics.has_specs:
            self._compiled_metrics.entries = []  # compile(optimizer) alone (the GAN): nothing to match, no forward
            return
        x, y, _ = unpack_x_y_sample_weight(batch)
        y_pred = self(x, training=False)
        if self._compiled_loss is not None:
            self._compiled_loss.build(self, y_pred)
        self._compiled_metrics.build(self, y, y_pred)

    def _symbolic_build(self, batch) -> None:
        """Create model weights, optimizer slots and compiled metrics before the first step."""
        batch = self.backend.convert_batch(self, batch)  # a tf.data or torch batch, as the steps will see it
        x, _, _ = unpack_x_y_sample_weight(batch)
        if not self.built:
            from fitspec.models.model import Model

            if self._graph is None and type(self).call is Model.call:
                self.built = True  # no call() to build (the guides' GAN): its weights are its sub-models'
            else:
                self(x, training=False)
        self._build_compiled(batch)
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and not optimizer.built:  # Keras's contract: `build` runs once
            optimizer.build(self.trainable_variables)

    # -- losses and metrics of a step -----------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """sum over outputs of loss_weight * loss(y, y_pred, sample_weight), plus sum(model.losses)."""
        self._assert_compiled("compute_loss")
        total, output_losses = self._compute_loss_terms(y, y_pred, sample_weight)
        # Kept for this step's metric updates. Written to the instance dict: a plain value needs none of the
        # tracking of Layer.__setattr__ (nor of nn.Module's), which would cost microseconds on every step.
        self.__dict__["_output_losses"] = output_losses
        return total

    def _compute_loss_terms(self, y, y_pred, sample_weight):
        """(total loss, [each output's unweighted loss]) for this batch."""
        total, output_losses = (None, [])
        if self._compiled_loss is not None:
            total, output_losses = self._compiled_loss(self, y, y_pred, sample_weight)
        for loss in self.losses:
            term = self.ops.sum(loss)
            total = term if total is None else total + term
        if total is None:
            raise ValueError(
                "compute_loss: no loss to compute; pass `loss=` to `compile()` or call `self.add_loss()` in a layer."
            )
        return total, output_losses

    def _metric_update_plan(self) -> list:
        """fitspec.compiled.metric_update_plan, made once compile()'s losses and metrics are matched."""
        plan = self._update_plan
        if plan is None:
            plan = metric_update_plan(self._loss_tracker, self._compiled_loss, self._compiled_metrics)
            if self._compiled_matched():
                self.__dict__["_update_plan"] = plan  # no attribute tracking (see compute_loss)
        return plan

    def _metric_update_arguments(self, loss, output_losses, y, y_pred, sample_weight, batch_size) -> list:
        """[(metric, args, sample_weight)] for the default steps: the loss trackers weighted by batch size,
        `metrics` with (y, y_pred) of their output, `weighted_metrics` with its sample_weight too."""
        out, parts = [], None
        for update in self._metric_update_plan():
            if update.source == LOSS:
                out.append((update.metric, (loss,), batch_size))
            elif update.source == OUTPUT_LOSS:
                if update.index < len(output_losses):
                    out.append((update.metric, (output_losses[update.index],), batch_size))
            else:
                if parts is None:
                    parts = self._parts_by_output(y, y_pred, sample_weight)
                targets, outputs, weights = parts
                i = update.index
                out.append((update.metric, (targets[i], outputs[i]), weights[i] if update.weighted else None))
        return out

    def _parts_by_output(self, y, y_pred, sample_weight) -> tuple[list, list, list]:
        """(targets, predictions, sample weights) by output, for the metrics."""
        parts = single_output_parts(y, y_pred, sample_weight)
        if parts is not None:
            return parts
        names = output_names(self, y_pred)
        targets = match_targets(y, names, "y", "compute_metrics")
        weights = match_targets(sample_weight, names, "sample_weight", "compute_metrics")
        outputs = optree.tree_leaves(y_pred) if not isinstance(y_pred, Mapping) else [y_pred[n] for n in names]
        return targets, outputs, weights

    def _metric_updates(self, loss, output_losses, y, y_pred, sample_weight, batch_size) -> dict:
        """{id(metric): (args, kwargs)} of `_metric_update_arguments`."""
        return {id(metric): (args, {"sample_weight": weight}) for metric, args, weight in
                self._metric_update_arguments(loss, output_losses, y, y_pred, sample_weight, batch_size)}

    def _metrics_overridden(self) -> bool:
        """Whether a subclass defines its own `metrics` (then the default steps update only the metrics it lists)."""
        return type(self).metrics is not Trainer.metrics

    def _batch_size(self, x) -> int:
        return self.ops.shape(x if is_leaf(x) else optree.tree_leaves(x)[0])[0]

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics and return every metric's result (stateful backends).

        `metrics` ignore sample_weight; `weighted_metrics` use it (Keras 3).
        """
        self._assert_compiled("compute_metrics")
        compiled = {id(m) for m in self._compiled_metrics.metrics}
        for metric_id, (args, kwargs) in self._metric_updates(None, [], y, y_pred, sample_weight, 0).items():
            if metric_id in compiled:
                _by_id(self.metrics, metric_id).update_state(*args, **kwargs)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        return {m.name: m.result() for m in self.metrics}

    # -- executions and logs ---------------------------------------------------------------------------
    def _execution(self, kind):
        """The execution of `kind` steps (fitspec.execution), made once per compile()."""
        executions = self.__dict__.setdefault("_executions", {})
        execution = executions.get(kind)
        if execution is None:
            execution = executions[kind] = self.execution_class(self, kind)
        return execution

    def make_train_function(self, force=False):
        """The train execution: `function(batches) -> logs` (Keras's name)."""
        if force:
            self.__dict__.setdefault("_executions", {}).pop(TRAIN, None)
        return self._execution(TRAIN)

    def make_test_function(self, force=False):
        if force:
            self.__dict__.setdefault("_executions", {}).pop(TEST, None)
        return self._execution(TEST)

    def make_predict_function(self, force=False):
        if force:
            self.__dict__.setdefault("_executions", {}).pop(PREDICT, None)
        return self._execution(PREDICT)

    def _run_logged(self, kind, batches) -> dict:
        """One execution of `kind` steps; its logs as floats (and numpy arrays, docs/SPEC.md 6.10)."""
        return host_logs(self, self._execution(kind)(batches), kind)

    def _metrics_result_on_host(self) -> dict:
        group = group_of(self)
        if group is None:  # one compiled program where the backend has one (fitspec.execution.results)
            results = self.__dict__.get("_epoch_results")
            if results is None:
                results = self.__dict__["_epoch_results"] = EpochResults(self)  # no attribute tracking
            return results()
        # replicas in processes of their own: the metrics over the global data, from their summed states (SPEC 13.4)
        variables = self.metrics_variables
        with StatelessScope(list(zip(variables, group.reduced_metric_values(variables)))):
            return host_logs(self, self.get_metrics_result())

    def _get_metrics_result_or_logs(self, logs: dict) -> dict:
        """Epoch-end logs: the metrics' results when the step's logs name exactly the model's metrics."""
        names = [m.name for m in self.metrics]
        if set(logs) == set(names):
            return self._metrics_result_on_host()
        return dict(logs)

    # -- data ---------------------------------------------------------------------------------------
    def _epoch_iterator(self, adapter, steps, where):
        steps_per_execution = self.steps_per_execution if self.compiled else 1
        steps = debug_limits.capped_steps(steps, adapter.num_batches)  # fs.config.max_steps_per_epoch (12.11)
        return EpochIterator(adapter, steps_per_epoch=steps, steps_per_execution=steps_per_execution, where=where)

    # -- fit ----------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        self._assert_compiled("fit")
        check_fit_arguments(epochs, verbose, validation_split, shuffle, initial_epoch, validation_steps,
                            validation_batch_size, validation_freq)
        epochs = debug_limits.capped_epochs(epochs)  # fs.config.max_epochs (docs/SPEC.md 12.11)
        shuffle_seed = seeding.next_seed()
        adapter = get_adapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, seed=shuffle_seed,
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
            arrays = isinstance(validation_data, (tuple, list))
            val_adapter = get_adapter(vx, vy, vsw, batch_size=validation_batch_size or (batch_size if arrays else None),
                                      where="fit(validation_data)")
        if class_weight is not None:
            adapter = ClassWeighted(adapter, class_weight)
        # data-parallel replicas in processes of their own read their rows of each global batch (SPEC 13.4)
        adapter, val_adapter = shard_adapter(self, adapter, "fit"), shard_adapter(self, val_adapter, "fit")
        iterator = self._epoch_iterator(adapter, steps_per_epoch, "fit")
        val_where = "fit(validation_data)" if validation_data is not None else "fit"
        checks = [DataCheck(self, a, where) for a, where in ((adapter, "fit"), (val_adapter, val_where)) if a]
        for check in checks:
            check.inputs()
        self._symbolic_build(adapter.peek())
        for check in checks:
            check.targets()
        verbose = _verbose_here(self, verbose)
        fit_state = FitState(initial_epoch, shuffle_seed, steps_per_epoch=iterator.steps)
        cbs = CallbackList(callbacks, model=self, add_history=True, verbose=verbose, epochs=epochs,
                           steps=iterator.steps, in_fit=True, fit_state=fit_state)
        train = self._execution(TRAIN)
        self.stop_training = False
        cbs.on_train_begin()
        skip = 0
        if fit_state.resumed:  # a callback (BackupAndRestore) restored a backup: continue where it stands
            initial_epoch, skip = fit_state.epoch, fit_state.steps_done
            _set_shuffle_seed(adapter, fit_state.shuffle_seed)
            iterator.fast_forward(initial_epoch, skip)
        training_logs = {}
        batch_begin, batch_end = cbs.hook("on_train_batch_begin"), cbs.hook("on_train_batch_end")
        for epoch in range(initial_epoch, epochs):
            if skip == 0:
                self.reset_metrics()  # a resumed epoch keeps the metric state of its backup
            fit_state.advance(epoch, skip)
            cbs.on_epoch_begin(epoch)
            logs = {}
            for step, batches in iterator.epoch(epoch, skip=skip):
                batch_begin(step)
                logs = LazyLogs(self, TRAIN, train(batches))  # read when a callback reads it (SPEC 8.7d)
                fit_state.advance(epoch, step + 1)
                batch_end(step, logs)
                if self.stop_training:
                    break
            skip = 0
            if not logs:  # a resumed epoch whose every batch was done before the backup
                logs = self._metrics_result_on_host()
            epoch_logs = dict(self._get_metrics_result_or_logs(logs))
            if val_adapter is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_adapter(val_adapter, validation_steps, cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            fit_state.advance(epoch + 1, 0)  # a backup taken at the epoch's end resumes with the next one
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if getattr(self, "optimizer", None) is not None:  # use_ema: the moving averages become the weights (Keras)
            self.optimizer.finalize_variable_values(self.trainable_variables)
        cbs.on_train_end(training_logs)
        return self.history

    # -- evaluate -------------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        self._assert_compiled("evaluate")
        check_evaluate_arguments(verbose, steps, return_dict)
        adapter = shard_adapter(self, get_adapter(x, y, sample_weight, batch_size=batch_size, where="evaluate"),
                                "evaluate")
        check = DataCheck(self, adapter, "evaluate")
        check.inputs()
        self._symbolic_build(adapter.peek())
        check.targets()
        verbose = _verbose_here(self, verbose)
        iterator = self._epoch_iterator(adapter, steps, "evaluate")
        cbs = CallbackList(callbacks, model=self, verbose=verbose, steps=iterator.steps, epochs=None,
                           where="evaluate")
        logs = self._evaluate_adapter(adapter, steps, cbs, iterator)
        if return_dict:
            return logs
        return self._flatten_logs_in_metric_order(logs)

    def _evaluate_adapter(self, adapter, steps, cbs, iterator=None) -> dict:
        if iterator is None:
            iterator = self._epoch_iterator(adapter, steps, "evaluate")
        self._symbolic_build(adapter.peek())
        test = self._execution(TEST)
        self.reset_metrics()
        cbs.on_test_begin()
        logs = {}
        batch_begin, batch_end = cbs.hook("on_test_batch_begin"), cbs.hook("on_test_batch_end")
        for step, batches in iterator.epoch(0):
            batch_begin(step)
            logs = LazyLogs(self, TEST, test(batches))
            batch_end(step, logs)
        logs = self._get_metrics_result_or_logs(logs)
        cbs.on_test_end(logs)
        return logs

    def _flatten_logs_in_metric_order(self, logs: dict):
        names = [m.name for m in self.metrics]
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in logs if k not in names]
        return values[0] if len(values) == 1 else values

    # -- predict --------------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        check_predict_arguments(verbose, steps)
        adapter = get_adapter(x, batch_size=batch_size, where="predict")
        DataCheck(self, adapter, "predict").inputs()
        iterator = self._epoch_iterator(adapter, steps, "predict")
        if not self.built:
            first_x, _, _ = unpack_x_y_sample_weight(self.backend.convert_batch(self, adapter.peek()))
            self(first_x, training=False)
        verbose = _verbose_here(self, verbose)
        cbs = CallbackList(callbacks, model=self, verbose=verbose, steps=iterator.steps, epochs=None, where="predict")
        predict_function = self._execution(PREDICT)
        cbs.on_predict_begin()
        outputs = []
        batch_begin, batch_end = cbs.hook("on_predict_batch_begin"), cbs.hook("on_predict_batch_end")
        for step, batches in iterator.epoch(0):
            batch_begin(step)
            outputs.extend(predict_function(batches))
            batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        to_numpy = self.ops.convert_to_numpy
        return optree.tree_map(lambda *parts: np.concatenate([to_numpy(p) for p in parts], axis=0), *outputs)

    # -- single batches -------------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        sample_weight = _class_weight_to_sample_weight(class_weight, y, sample_weight, where="train_on_batch")
        return self._on_batch(TRAIN, "train_on_batch", x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        return self._on_batch(TEST, "test_on_batch", x, y, sample_weight, return_dict)

    def _on_batch(self, kind, where, x, y, sample_weight, return_dict):
        """One checked batch through one step of `kind`; test_on_batch resets the metrics first, as Keras."""
        batch = ArrayDataset(x, y, sample_weight, where=where)
        data = shard_batch(self, batch.batch(np.arange(batch.size)), where)
        check = DataCheck(self, batch, where)
        check.inputs()
        self._symbolic_build(data)
        check.targets()
        if kind == TEST:
            self.reset_metrics()
        logs = self._get_metrics_result_or_logs(self._run_logged(kind, [data]))
        return logs if return_dict else self._flatten_logs_in_metric_order(logs)

    def predict_on_batch(self, x):
        batch = ArrayDataset(x, where="predict_on_batch")
        DataCheck(self, batch, "predict_on_batch").inputs()
        (outputs,) = self._execution(PREDICT)([batch.batch(np.arange(batch.size))])
        return optree.tree_map(self.ops.convert_to_numpy, outputs)


def _verbose_here(model, verbose) -> int:
    """The verbosity of this process: as asked on rank 0 of a replica group or a multi-process run (or a lone
    process), 0 on the others."""
    verbose = 1 if verbose == "auto" else verbose
    return verbose if writes_files(model.backend) else 0


def _set_shuffle_seed(adapter, seed) -> None:
    while adapter is not None:
        if hasattr(adapter, "seed"):
            adapter.seed = seed
        adapter = getattr(adapter, "adapter", None)


def _by_id(metrics, metric_id):
    return next(m for m in metrics if id(m) == metric_id)


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


def _class_weight_to_sample_weight(class_weight, y, sample_weight, check_only=False, where="fit"):
    """sample_weight[i] = class_weight[class of y[i]] (times any given sample_weight); errors name `where`."""
    if class_weight is None:
        return sample_weight
    if not isinstance(class_weight, Mapping):
        raise invalid_argument(where, "class_weight", "a dict {class index: weight}", class_weight)
    if check_only:
        return None
    if y is None or isinstance(y, (dict, list, tuple)):
        raise invalid_argument(where, "class_weight", "a single-output model with array targets `y`", y)
    y = np.asarray(y)
    if y.ndim == 0:
        raise invalid_argument(where, "class_weight", "targets with a sample axis", y)
    classes = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y)).astype(np.int64)
    missing = sorted(set(np.unique(classes).tolist()) - set(class_weight))
    if missing:
        expected = f"a weight for every class in y, including {missing}"
        raise invalid_argument(where, "class_weight", expected, class_weight)
    weights = np.asarray([class_weight[int(c)] for c in classes], dtype="float64")
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype="float64").reshape(len(weights), -1).mean(axis=-1)
    return weights

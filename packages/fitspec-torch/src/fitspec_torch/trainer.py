"""`TorchTrainer`: the stateful contract of the PyTorch guide, `train_step(self, data) -> logs`.

Division of labour: the core (fitspec.trainer) owns the loop, callbacks and logs;
fitspec.StatefulTrainer the default test / predict steps and the execution plumbing; the backend
(`TorchBackend.compile_step`) toggles `train()` / `eval()`, turns off autograd for test and
predict, compiles with `torch.compile` when asked, and pulls the logs to Python once per
execution. This class adds the default `train_step` (zero_grad / backward / optimizer.apply under
`torch.no_grad()`), DataLoader and Dataset input (fitspec_torch.data_adapter), and the check of
replaced Parameters before fit / evaluate / predict.
"""

from __future__ import annotations

import contextlib

import optree
import torch

import fitspec
from fitspec.data import ArrayDataset, unpack_x_y_sample_weight
from fitspec.errors import invalid_argument
from fitspec_torch.data_adapter import TorchDataIterator, is_torch_data, materialize_inputs


class TorchTrainer(fitspec.StatefulTrainer):
    """Mixin of fitspec_torch's `Model`."""

    def train_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        trainable_weights = self.trainable_weights
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            loss.backward()
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
            return self._update_metrics(_detach(loss), x, y, _detach(y_pred), sample_weight)

    # -- DataLoader / Dataset input ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _torch_data(self, iterators: dict):
        """While fit / evaluate runs, `_epoch_iterator` serves these iterators for the core's placeholder data."""
        previous = self.__dict__.get("_torch_data_iterators")
        self.__dict__["_torch_data_iterators"] = iterators
        try:
            yield
        finally:
            self.__dict__["_torch_data_iterators"] = previous

    def _epoch_iterator(self, x, y, sample_weight, batch_size, shuffle, steps, where, seed=0):
        iterator = (self.__dict__.get("_torch_data_iterators") or {}).get(where)
        if iterator is not None and _first_leaf(x) is _first_leaf(iterator.first_batch[0]):
            iterator.seed = seed
            return iterator
        return super()._epoch_iterator(x, y, sample_weight, batch_size, shuffle, steps, where, seed=seed)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        self._assert_compiled("fit")
        self.check_parameters("fit")
        iterators = {}
        if is_torch_data(x):
            _reject_with_torch_data("fit", y=y, sample_weight=sample_weight, class_weight=class_weight,
                                    validation_split=validation_split or None)
            iterators["fit"] = TorchDataIterator(x, batch_size=batch_size, shuffle=shuffle,
                                                 steps_per_epoch=steps_per_epoch,
                                                 steps_per_execution=self.steps_per_execution, where="fit")
            x, y, sample_weight = (*iterators["fit"].first_batch, None, None)[:3]
            batch_size = None
        if is_torch_data(validation_data):
            iterators["evaluate"] = TorchDataIterator(validation_data, batch_size=validation_batch_size,
                                                      steps_per_epoch=validation_steps,
                                                      steps_per_execution=self.steps_per_execution, where="fit",
                                                      argument="validation_data")
            validation_data = iterators["evaluate"].first_batch
            validation_batch_size = None
        with self._torch_data(iterators):
            return super().fit(x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
                               shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch,
                               validation_steps, validation_batch_size, validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, _callbacks=None):
        self._assert_compiled("evaluate")
        self.check_parameters("evaluate")
        iterators = {}
        if is_torch_data(x):
            _reject_with_torch_data("evaluate", y=y, sample_weight=sample_weight)
            iterators["evaluate"] = TorchDataIterator(x, batch_size=batch_size, steps_per_epoch=steps,
                                                      steps_per_execution=self.steps_per_execution, where="evaluate")
            x, y, sample_weight = (*iterators["evaluate"].first_batch, None, None)[:3]
            batch_size = None
        if not iterators:
            return super().evaluate(x, y, batch_size, verbose, sample_weight, steps, callbacks, return_dict,
                                    _callbacks=_callbacks)
        with self._torch_data(iterators):
            return super().evaluate(x, y, batch_size, verbose, sample_weight, steps, callbacks, return_dict,
                                    _callbacks=_callbacks)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        self.check_parameters("predict")
        if is_torch_data(x):
            # The core's predict takes arrays only: the inputs are gathered first (see the report's hook).
            x, batch_size = materialize_inputs(x, batch_size, "predict")
        return super().predict(x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self.check_parameters("train_on_batch")
        return super().train_on_batch(x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self.check_parameters("test_on_batch")
        return super().test_on_batch(x, y, sample_weight, return_dict)

    def predict_on_batch(self, x):
        self.check_parameters("predict_on_batch")
        return super().predict_on_batch(x)


def _detach(structure):
    return optree.tree_map(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, structure)


def _first_leaf(x):
    if isinstance(x, ArrayDataset):
        x = x.x
    leaves = optree.tree_leaves(x)
    return leaves[0] if leaves else None


def _reject_with_torch_data(where: str, **arguments) -> None:
    for argument, value in arguments.items():
        if value is not None:
            expected = ("None when x is a DataLoader or Dataset (pass validation_data instead)"
                        if argument == "validation_split"
                        else "None when x is a DataLoader or Dataset (its batches carry x, y and sample_weight)")
            raise invalid_argument(where, argument, expected, value)

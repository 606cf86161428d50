"""`TorchTrainer`: the stateful contract of the PyTorch guide, `train_step(self, data) -> logs`.

Division of labour: the core (fitspec.trainer) owns the loop, callbacks and logs;
fitspec.StatefulTrainer the default test / predict steps and the execution plumbing; the backend
(`TorchBackend.compile`) toggles `train()` / `eval()`, turns off autograd for test and
predict, compiles with `torch.compile` when asked, and pulls the logs to Python in one
transfer (`fetch_logs`); the core's data adapters read DataLoaders and Datasets, and `backend.convert_batch`
moves their batches to the model's device. This class adds the default `train_step` (zero_grad /
backward / optimizer.apply under `torch.no_grad()`) and the check of replaced Parameters before
fit / evaluate / predict.
"""

from __future__ import annotations

import inspect

import optree
import torch
from torch.utils.data import DataLoader, Dataset

import fitspec
from fitspec import masking
from fitspec.data import DEFAULT_BATCH_SIZE, unpack_x_y_sample_weight
from fitspec.data_adapters import is_torch_dataset
from fitspec.variables import current_scope


class TorchTrainer(fitspec.StatefulTrainer):
    """Mixin of fitspec_torch's `Model`."""

    def train_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        trainable_weights = self.trainable_weights
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            self.optimizer.scale_loss(loss).backward()  # loss · loss_scale_factor, as Keras differentiates it
        gradients = _gradients(trainable_weights)
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
            # The loss goes to the loss trackers only, which keep it out of autograd themselves.
            return self._update_metrics(loss, x, y, _detach(y_pred), sample_weight)

    # -- every entry point: replaced Parameters are caught, user Dataset subclasses are read -----------------
    def fit(self, *args, **kwargs):
        self.check_parameters("fit")
        args, kwargs = _batch_datasets(super().fit, args, kwargs, {"x": "batch_size",
                                                                   "validation_data": "validation_batch_size"})
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        self.check_parameters("evaluate")
        args, kwargs = _batch_datasets(super().evaluate, args, kwargs, {"x": "batch_size"})
        return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        self.check_parameters("predict")
        args, kwargs = _batch_datasets(super().predict, args, kwargs, {"x": "batch_size"})
        return super().predict(*args, **kwargs)

    def train_on_batch(self, *args, **kwargs):
        self.check_parameters("train_on_batch")
        return super().train_on_batch(*args, **kwargs)

    def test_on_batch(self, *args, **kwargs):
        self.check_parameters("test_on_batch")
        return super().test_on_batch(*args, **kwargs)

    def predict_on_batch(self, *args, **kwargs):
        self.check_parameters("predict_on_batch")
        return super().predict_on_batch(*args, **kwargs)


def _batch_datasets(method, args, kwargs, arguments: dict):
    """A torch Dataset the core does not recognise (it reads the type's module, and a user's subclass lives in the
    user's module) is batched by a DataLoader, as the core batches the Datasets it recognises (unshuffled)."""
    if not any(isinstance(a, Dataset) for a in (*args, *kwargs.values())):
        return args, kwargs
    bound = inspect.signature(method).bind(*args, **kwargs)
    for argument, batch_argument in arguments.items():
        value = bound.arguments.get(argument)
        if isinstance(value, Dataset) and not is_torch_dataset(value):
            batch_size = bound.arguments.get(batch_argument) or bound.arguments.get("batch_size")
            bound.arguments[argument] = DataLoader(value, batch_size=batch_size or DEFAULT_BATCH_SIZE, shuffle=False)
    return bound.args, bound.kwargs


def _gradients(variables) -> list:
    """Each variable's `.grad`; outside a stateless scope a TorchVariable's value is its Parameter, read directly."""
    if current_scope() is None:
        return [v._storage.grad for v in variables]
    return [v.value.grad for v in variables]


def _detach(structure):
    if isinstance(structure, torch.Tensor):  # a single loss or output: no structure walk
        return _detach_one(structure)
    return optree.tree_map(lambda t: _detach_one(t) if isinstance(t, torch.Tensor) else t, structure)


def _detach_one(tensor):
    """tensor.detach(), keeping its mask (docs/SPEC.md "Masking": the metrics weigh by it)."""
    detached = tensor.detach()
    mask = masking.get_mask(tensor)
    if mask is not None:
        masking.set_mask(detached, mask)
    return detached

"""`TorchTrainer`: the stateful contract of the PyTorch guide, `train_step(self, data) -> logs`.

Division of labour: the core (fitspec.trainer) owns the loop, callbacks and logs;
fitspec.StatefulTrainer the default test / predict steps and the execution plumbing; the backend
(`TorchBackend.compile_step`) toggles `train()` / `eval()`, turns off autograd for test and
predict, compiles with `torch.compile` when asked, and pulls the logs to Python once per
execution; the core's data adapters read DataLoaders and Datasets, and `backend.convert_batch`
moves their batches to the model's device. This class adds the default `train_step` (zero_grad /
backward / optimizer.apply under `torch.no_grad()`) and the check of replaced Parameters before
fit / evaluate / predict.
"""

from __future__ import annotations

import optree
import torch

import fitspec
from fitspec.data import unpack_x_y_sample_weight


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

    # -- replaced Parameters are caught before any step ---------------------------------------------------
    def fit(self, *args, **kwargs):
        self.check_parameters("fit")
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        self.check_parameters("evaluate")
        return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        self.check_parameters("predict")
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


def _detach(structure):
    return optree.tree_map(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, structure)

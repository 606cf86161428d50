"""The PyTorch guide's models: train_step(self, data) with zero_grad / backward, and test_step(self, data)."""

from __future__ import annotations

import torch


def build(fs) -> dict:
    def update_metrics(model, loss, y, y_pred, sample_weight=None):
        for metric in model.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in model.metrics}

    class GuideCustomTrainStep(fs.Model):
        """The guide's first example: zero_grad, compute_loss, loss.backward(), v.value.grad, optimizer.apply."""

        def train_step(self, data):
            x, y, sample_weight = fs.utils.unpack_x_y_sample_weight(data)
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            return update_metrics(self, loss, y, y_pred, sample_weight)

    class GuideSampleWeight(fs.Model):
        """The sample_weight variant: (x, y, sample_weight) unpacked by length and passed to the loss and metrics."""

        def train_step(self, data):
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            return update_metrics(self, loss, y, y_pred, sample_weight)

    class GuideLowerLevel(fs.Model):
        """compile(optimizer=...) only: its own loss function, Mean and MeanAbsoluteError trackers."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = fs.metrics.Mean(name="loss")
            self.mae_metric = fs.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = fs.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class GuideTestStep(fs.Model):
        """The guide's test_step override: it returns a dict of every metric's result, as the PyTorch guide does."""

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            return update_metrics(self, loss, y, y_pred)

    class NonDictLogs(fs.Model):
        def train_step(self, data):
            return 1.0

    class NonScalarLogs(fs.Model):
        def train_step(self, data):
            x, _, _ = fs.utils.unpack_x_y_sample_weight(data)
            return {"loss": fs.ops.ones((2, 3))}

    return {cls.__name__: cls for cls in (GuideCustomTrainStep, GuideSampleWeight, GuideLowerLevel, GuideTestStep,
                                           NonDictLogs, NonScalarLogs)}

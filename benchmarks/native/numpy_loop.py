"""The numpy loop a user writes by hand: autograd.value_and_grad of the loss, the update in plain numpy."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from benchmarks.native import array_math
from benchmarks.native.loop import NativeLoop


class NumpyLoop(NativeLoop):
    def __init__(self, spec, weights, device):
        super().__init__(spec, weights, device)
        if spec.dtype_policy is not None:
            raise NotImplementedError(f"model {spec.name!r}: the numpy loop computes in the weights' dtype only (a "
                                      "float16 loop with autograd by hand is not written)")
        self.params = [np.array(w) for w in weights]
        self.slots = array_math.optimizer_slots(np, spec, self.params)
        self.t = 0
        self._grad = autograd.value_and_grad(self._loss, argnum=0)
        self._rng = np.random.default_rng(0)
        self.reset_metrics()

    def _dropout(self, h, i):
        keep = 1.0 - self.spec.dropout
        return h * (self._rng.random(h.shape) < keep) / keep

    def _loss(self, params, x, y):
        p = array_math.forward(anp, self.spec, params, x, dropout=self._dropout)
        self._predictions = getval(p)  # for the metric: autograd's value_and_grad returns no auxiliary output
        return array_math.loss(anp, self.spec, y, p)

    def step(self, x, y):
        loss, grads = self._grad(self.params, x, y)
        self.t += 1
        self.params, self.slots = array_math.apply_gradients(np, self.spec, self.params, grads, self.slots, self.t)
        n = len(x)
        self.totals += np.array([loss * n, array_math.metric(np, self.spec, y, self._predictions) * n, n])

    def logs(self):
        loss_total, metric_total, count = self.totals
        return {"loss": float(loss_total / count), self.spec.metric: float(metric_total / count)}

    def reset_metrics(self):
        self.totals = np.zeros(3)

    def predict_batch(self, x):
        return array_math.forward(np, self.spec, self.params, x)


LOOPS = {"native": NumpyLoop}

"""The PyTorch loop a user writes by hand: an nn.Sequential, torch.optim.Adam / RMSprop, zero_grad / backward /
step, eager; and the same step under torch.compile. Loss and metric as in benchmarks.native.array_math.

torch.optim's eps sits outside the square root (Keras': inside, for RMSprop), which changes no timing.
"""

from __future__ import annotations

import torch

from benchmarks.models import ADAM, EPSILON, RMSPROP
from benchmarks.native.loop import NativeLoop

ACTIVATIONS = {"relu": torch.nn.ReLU, "softmax": lambda: torch.nn.Softmax(dim=-1)}


def _network(spec, weights) -> torch.nn.Sequential:
    modules = []
    for i, (units, activation) in enumerate(spec.layers):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        linear = torch.nn.Linear(kernel.shape[0], units, dtype=torch.from_numpy(kernel).dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if activation in ACTIVATIONS:
            modules.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*modules)


class TorchLoop(NativeLoop):
    compiled = False

    def __init__(self, spec, weights, device):
        super().__init__(spec, weights, device)
        self.torch_device = torch.device("cuda" if device == "gpu" else "cpu")
        self.net = _network(spec, weights).to(self.torch_device)
        if spec.optimizer == "adam":
            self.optimizer = torch.optim.Adam(self.net.parameters(), lr=ADAM["learning_rate"],
                                              betas=(ADAM["beta_1"], ADAM["beta_2"]), eps=ADAM["epsilon"])
        else:
            self.optimizer = torch.optim.RMSprop(self.net.parameters(), lr=RMSPROP["learning_rate"],
                                                 alpha=RMSPROP["rho"], eps=RMSPROP["epsilon"])
        self.totals = torch.zeros(3, device=self.torch_device)
        self._step = torch.compile(self._train_step) if self.compiled else self._train_step

    def _loss_and_metric(self, y, p):
        if self.spec.loss == "mse":
            return torch.mean(torch.square(y - p)), torch.mean(torch.abs(y - p)).detach()
        q = torch.clamp(p / p.sum(dim=-1, keepdim=True), EPSILON, 1.0 - EPSILON)
        loss = -torch.log(q).gather(1, y[:, None]).mean()
        return loss, (p.detach().argmax(dim=-1) == y).to(p.dtype).mean()

    def _train_step(self, x, y):
        self.optimizer.zero_grad()
        p = self.net(x)
        loss, metric = self._loss_and_metric(y, p)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            self.totals += torch.stack([loss.detach() * len(x), metric * len(x), self.totals.new_tensor(len(x))])
            return self.totals[:2] / self.totals[2]

    def step(self, x, y):
        device = self.torch_device
        self._logs = self._step(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))

    def logs(self):
        loss, metric = self._logs.tolist()
        return {"loss": loss, self.spec.metric: metric}

    def reset_metrics(self):
        self.totals.zero_()

    def predict_batch(self, x):
        with torch.no_grad():
            return self.net(torch.from_numpy(x).to(self.torch_device)).cpu().numpy()

    def sync(self):
        if self.torch_device.type == "cuda":
            torch.cuda.synchronize(self.torch_device)


class CompiledTorchLoop(TorchLoop):
    """The same step under torch.compile (the whole step function: forward, backward, optimizer)."""

    compiled = True


LOOPS = {"native": TorchLoop, "native torch.compile": CompiledTorchLoop}

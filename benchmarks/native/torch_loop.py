"""The PyTorch loop a user writes by hand: an nn.Sequential, torch.optim.Adam / RMSprop, zero_grad / backward /
step, eager; and the same step under torch.compile. Loss and metric as in benchmarks.native.array_math.

torch.optim's eps sits outside the square root (Keras': inside, for RMSprop), which changes no timing.
A mixed-precision model runs its forward pass under torch.autocast in the compute dtype (bfloat16 or float16) with
float32 parameters, and under float16 scales its loss with torch.amp.GradScaler (its own dynamic scale: 2^16,
doubled after 2000 finite steps, where Keras starts at 2^15).
"""

from __future__ import annotations

import torch

from benchmarks.models import ADAM, EPSILON, RMSPROP
from benchmarks.native import mixed
from benchmarks.native.loop import NativeLoop

ACTIVATIONS = {"relu": torch.nn.ReLU, "softmax": lambda: torch.nn.Softmax(dim=-1)}


def _conv_block(spec, weights) -> tuple[list, list]:
    """Conv2d -> ReLU -> MaxPool2d -> Flatten in torch's NCHW layout, and the Dense weights permuted to match.

    fitspec is channels-last: its Flatten orders features (h, w, c); torch's orders them (c, h, w).
    """
    kernel, bias, dense_kernel = weights[0], weights[1], weights[2]
    kh, kw, channels_in, filters = kernel.shape
    conv = torch.nn.Conv2d(channels_in, filters, (kh, kw), dtype=torch.from_numpy(kernel).dtype)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))
        conv.bias.copy_(torch.from_numpy(bias))
    height, width = (spec.input_shape[0] - kh + 1) // 2, (spec.input_shape[1] - kw + 1) // 2
    units = dense_kernel.shape[-1]
    dense_kernel = dense_kernel.reshape(height, width, filters, units).transpose(2, 0, 1, 3).reshape(-1, units)
    modules = [conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten()]
    return modules, [dense_kernel, *weights[3:]]


def _network(spec, weights) -> torch.nn.Sequential:
    modules = []
    if spec.conv is not None:
        modules, weights = _conv_block(spec, weights)
    for i, (units, activation) in enumerate(spec.layers):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        linear = torch.nn.Linear(kernel.shape[0], units, dtype=torch.from_numpy(kernel).dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if activation in ACTIVATIONS:
            modules.append(ACTIVATIONS[activation]())
        if spec.dropout and i < len(spec.layers) - 1:
            modules.append(torch.nn.Dropout(spec.dropout))
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
        compute = mixed.compute_dtype(spec)
        self.autocast_dtype = None if compute is None else getattr(torch, compute)
        self.scaler = torch.amp.GradScaler(self.torch_device.type) if mixed.loss_scaled(spec) else None
        self._step = torch.compile(self._train_step) if self.compiled else self._train_step

    def _loss_and_metric(self, y, p):
        if self.spec.loss == "mse":
            return torch.mean(torch.square(y - p)), torch.mean(torch.abs(y - p)).detach()
        q = torch.clamp(p / p.sum(dim=-1, keepdim=True), EPSILON, 1.0 - EPSILON)
        loss = -torch.log(q).gather(1, y[:, None]).mean()
        return loss, (p.detach().argmax(dim=-1) == y).to(p.dtype).mean()

    def _forward(self, x):
        if self.autocast_dtype is None:
            return self.net(x)
        with torch.autocast(self.torch_device.type, dtype=self.autocast_dtype):
            return self.net(x).float()

    def _train_step(self, x, y):
        self.optimizer.zero_grad()
        p = self._forward(x)
        loss, metric = self._loss_and_metric(y, p)
        if self.scaler is None:
            loss.backward()
            self.optimizer.step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        with torch.no_grad():
            self.totals += torch.stack([loss.detach() * len(x), metric * len(x), self.totals.new_tensor(len(x))])
            return self.totals[:2] / self.totals[2]

    def _inputs(self, x):
        """A batch on the device; images as NCHW (a view: the data stays channels-last, as fit() sees it)."""
        x = torch.from_numpy(x).to(self.torch_device)
        return x.permute(0, 3, 1, 2) if self.spec.conv is not None else x

    def step(self, x, y):
        self._logs = self._step(self._inputs(x), torch.from_numpy(y).to(self.torch_device))

    def logs(self):
        loss, metric = self._logs.tolist()
        return {"loss": loss, self.spec.metric: metric}

    def reset_metrics(self):
        self.totals.zero_()

    def predict_batch(self, x):
        self.net.eval()  # no dropout
        try:
            with torch.no_grad():
                return self._forward(self._inputs(x)).cpu().numpy()
        finally:
            self.net.train()

    def sync(self):
        if self.torch_device.type == "cuda":
            torch.cuda.synchronize(self.torch_device)


class CompiledTorchLoop(TorchLoop):
    """The same step under torch.compile (the whole step function: forward, backward, optimizer)."""

    compiled = True


LOOPS = {"native": TorchLoop, "native torch.compile": CompiledTorchLoop}

"""Fused optimizer updates: the core's formulas (fitspec.optimizers) as multi-tensor `torch._foreach_*` ops.

The core applies `update_step` once per variable, a Python loop of a dozen small ops each. Here
one step updates every variable of a (device, dtype) group with one foreach op per term of the
formula, in the core's order of operations, so the result is the core's (bit for bit on CPU):

  SGD      m = m mu - g lr;  var += m  (nesterov: var += m mu - g lr);  without momentum var -= g lr
  RMSprop  v = rho v + (1 - rho) g^2;  var -= lr g / sqrt(v + eps)   (centered / momentum variants)
  Adam     m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);
           alpha = lr sqrt(1 - b2^t) / (1 - b1^t);  var -= (m alpha) / (sqrt(v) + eps)
  weight decay (AdamW, or any `weight_decay`) first: var -= (var wd) lr
Gradients are cast to their variable's dtype and clipped by the core's `_clip` first; the learning
rate is the core's `learning_rate` (a schedule evaluated at `iterations`).

The scalar factors (lr, alpha = lr sqrt(1 - b2^t) / (1 - b1^t), mu, ...) are computed in the
variables' dtype: on the host for CPU float32 / float64 groups (numpy scalars, with torch's
sqrt; Adam's bias corrections from a table of the coming steps), as 0-d tensors on the device
otherwise, so a GPU step never waits for the host.

The common call of a training step (tensor gradients for the variables the optimizer was built
with, in order, no clipping) skips the core's argument checks, which it would pass. Inside a
StatelessScope (`stateless_apply`), or for a subclass that overrides `update_step`, the core's
per-variable code runs instead.
"""

from __future__ import annotations

import numpy as np
import torch

from fitspec import optimizers as core
from fitspec.variables import current_scope


class FusedApply:
    """Mixin over a bound core optimizer: the core's `_apply_updates` hook runs `_fused_update` per
    (device, dtype) group; clipping and the learning rate stay the core's, and so do the checks and
    `iterations` but in the common call (`apply`)."""

    _core_update_step = None  # the core class's update_step, which _fused_update reproduces

    def apply(self, grads, trainable_variables=None):
        """The core's `apply`. Its common call (tensor gradients for the variables the optimizer was built with, in
        their order, no clipping, no stateless scope) skips the checks that call would pass, and counts
        `iterations` in place (+1, the same integer as the core's assign)."""
        if not self._common_call(grads, trainable_variables):
            return super().apply(grads, trainable_variables)
        index = self._slot_index
        present = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        _without_grad(self._fused_apply, [g for g, _ in present], [v for _, v in present],
                      [index[id(v)] for _, v in present], self.learning_rate)
        _without_grad(self.iterations._storage.add_, 1)

    def _common_call(self, grads, trainable_variables) -> bool:
        built = self._trainable_variables
        if not self.built or trainable_variables is None or not len(trainable_variables) == len(grads) == len(built):
            return False
        index = self.__dict__.get("_slot_index")  # the core's {id(variable): slot}, made by its first `apply`
        if index is None or len(index) != len(built):
            return False
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            return False
        if current_scope() is not None or not self._fusable() or torch.compiler.is_compiling():
            return False
        for g, v, b in zip(grads, trainable_variables, built):
            if v is not b or not (g is None or (isinstance(g, torch.Tensor) and g.dtype == v._storage.dtype)):
                return False
        return True

    def _fusable(self) -> bool:
        """Whether `_fused_update` reproduces this optimizer's update (a subclass may define its own)."""
        return type(self).update_step is type(self)._core_update_step

    def _apply_updates(self, grads, variables, slot_indices, learning_rate):
        if current_scope() is not None or not self._fusable():
            return super()._apply_updates(grads, variables, slot_indices, learning_rate)
        _without_grad(self._fused_apply, grads, variables, slot_indices, learning_rate)

    def _fused_apply(self, grads, variables, slot_indices, learning_rate) -> None:
        """Weight decay and `_fused_update` per (device, dtype) group. No stateless scope is active: every
        Variable's value is its storage, read directly."""
        for (device, dtype), (group_grads, params, indices) in _groups(grads, variables, slot_indices).items():
            scalars = Scalars(device, dtype)
            lr = scalars.cast(learning_rate)
            if self.weight_decay:
                decay = torch._foreach_mul(params, scalars.arg(scalars.constant(self.weight_decay)))
                torch._foreach_mul_(decay, scalars.arg(lr))
                torch._foreach_sub_(params, decay)
            self._fused_update(group_grads, params, indices, lr, scalars)

    def add_slot(self, kind, variables):
        """Slots live on their variable's device (a model moved with `.to()` keeps its optimizer state beside it)."""
        slots = super().add_slot(kind, variables)
        for slot, variable in zip(slots, variables):
            device = variable.value.device
            if slot.value.device != device:
                slot._storage = torch.nn.Parameter(slot.value.detach().to(device), requires_grad=False)
        return slots

    def _slot_tensors(self, kind, indices):
        slots = self._slots[kind]
        return [slots[i]._storage for i in indices]

    def _fused_update(self, grads, params, indices, lr, scalars):
        raise NotImplementedError


class Scalars:
    """Scalars in a group's dtype: numpy scalars (passed to foreach ops as Python floats) for CPU float32 /
    float64, else 0-d tensors on the group's device."""

    HOST = {torch.float32: np.float32, torch.float64: np.float64}

    def __init__(self, device, dtype):
        self.device, self.dtype = device, dtype
        # Under torch.compile the factors stay tensors: Python floats would be specialised on, step by step.
        on_host = device.type == "cpu" and not torch.compiler.is_compiling()
        self.host = self.HOST.get(dtype) if on_host else None

    def constant(self, value):
        """`ops.cast(value, dtype)` of a Python number."""
        if self.host is not None:
            return self.host(value)
        return torch.tensor(value, dtype=self.dtype, device=self.device)

    def cast(self, value):
        """`ops.cast(value, dtype)` of a 0-d tensor or a number (the learning rate, a schedule's value)."""
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(value)
        if self.host is not None:
            return self.host(value.item())
        return value.to(device=self.device, dtype=self.dtype)

    def step(self, iterations: torch.Tensor):
        """`ops.cast(iterations + 1, dtype)`: the number of the step being taken."""
        if self.host is not None:
            return self.host(iterations.item() + 1)
        return (iterations + 1).to(device=self.device, dtype=self.dtype)

    def sqrt(self, x):
        if self.host is not None:  # torch's float32 sqrt, which can differ from numpy's in the last bit
            # torch.full makes the 0-d tensor in one op (torch.tensor of a numpy scalar takes four)
            return self.host(torch.full((), float(x), dtype=self.dtype).sqrt_().item())
        return torch.sqrt(x)

    def power(self, base, exponent):
        return base**exponent if self.host is not None else torch.pow(base, exponent)

    @staticmethod
    def arg(x):
        """A factor for a foreach op: a Python float (exactly the dtype's value) or the 0-d tensor."""
        return float(x) if isinstance(x, np.generic) else x


def _without_grad(function, *args):
    """function(*args) under torch.no_grad(), entered only when grad mode is on (a train step's updates already
    run without it)."""
    if not torch.is_grad_enabled():
        return function(*args)
    with torch.no_grad():
        return function(*args)


def _groups(grads, variables, slot_indices) -> dict:
    """{(device, dtype): (gradients, parameters, slot indices)}: the variables each fused update covers."""
    groups: dict = {}
    for g, v, i in zip(grads, variables, slot_indices):
        param = v._storage
        key = (param.device, param.dtype)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ([], [], [])
        group[0].append(_as_gradient(g, param))
        group[1].append(param)
        group[2].append(i)
    return groups


def _as_gradient(g, param):
    if not isinstance(g, torch.Tensor):
        g = torch.as_tensor(np.asarray(g) if not hasattr(g, "value") else g.value)
    if g.dtype != param.dtype or g.device != param.device:
        g = g.to(device=param.device, dtype=param.dtype)
    return g


class FusedSGD(FusedApply):
    _core_update_step = core.SGD.update_step

    def _fused_update(self, grads, params, indices, lr, scalars):
        step = torch._foreach_mul(grads, scalars.arg(lr))  # g lr
        if self.momentum == 0:
            torch._foreach_sub_(params, step)
            return
        mu = scalars.arg(scalars.constant(self.momentum))
        ms = self._slot_tensors("momentum", indices)
        torch._foreach_mul_(ms, mu)
        torch._foreach_sub_(ms, step)
        if self.nesterov:
            update = torch._foreach_mul(ms, mu)
            torch._foreach_sub_(update, step)
            torch._foreach_add_(params, update)
        else:
            torch._foreach_add_(params, ms)


class FusedRMSprop(FusedApply):
    _core_update_step = core.RMSprop.update_step

    def _fused_update(self, grads, params, indices, lr, scalars):
        vs = self._slot_tensors("velocity", indices)
        torch._foreach_mul_(vs, self.rho)
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_mul_(squares, 1 - self.rho)
        torch._foreach_add_(vs, squares)
        if self.centered:
            avgs = self._slot_tensors("average_gradient", indices)
            torch._foreach_mul_(avgs, self.rho)
            scaled = torch._foreach_mul(grads, 1 - self.rho)
            torch._foreach_add_(avgs, scaled)
            denominator = torch._foreach_sub(vs, torch._foreach_mul(avgs, avgs))
            torch._foreach_add_(denominator, self.epsilon)
        else:
            denominator = torch._foreach_add(vs, self.epsilon)
        increment = torch._foreach_mul(grads, scalars.arg(lr))
        torch._foreach_div_(increment, torch._foreach_sqrt(denominator))
        if self.momentum > 0:
            ms = self._slot_tensors("momentum", indices)
            torch._foreach_mul_(ms, self.momentum)
            torch._foreach_add_(ms, increment)
            torch._foreach_sub_(params, ms)
        else:
            torch._foreach_sub_(params, increment)


class FusedAdam(FusedApply):
    _core_update_step = core.Adam.update_step

    def _fused_update(self, grads, params, indices, lr, scalars):
        if scalars.host is not None:
            one_minus_beta_1_power, root = self._bias_corrections(scalars, self.iterations._storage.item() + 1)
            alpha = float(lr * root / one_minus_beta_1_power)
        else:
            t = scalars.step(self.iterations._storage)
            beta_1_power = scalars.power(scalars.constant(self.beta_1), t)
            beta_2_power = scalars.power(scalars.constant(self.beta_2), t)
            alpha = lr * scalars.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        ms = self._slot_tensors("momentum", indices)
        vs = self._slot_tensors("velocity", indices)
        delta = torch._foreach_sub(grads, ms)
        torch._foreach_mul_(delta, 1 - self.beta_1)
        torch._foreach_add_(ms, delta)
        delta = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(delta, vs)
        torch._foreach_mul_(delta, 1 - self.beta_2)
        torch._foreach_add_(vs, delta)
        v_used = vs
        if self.amsgrad:
            v_used = self._slot_tensors("velocity_hat", indices)
            torch._foreach_maximum_(v_used, vs)
        update = torch._foreach_mul(ms, alpha)
        denominator = torch._foreach_sqrt(v_used)
        torch._foreach_add_(denominator, self.epsilon)
        torch._foreach_div_(update, denominator)
        torch._foreach_sub_(params, update)

    def _bias_corrections(self, scalars, t: int) -> tuple:
        """(1 - b1^t, sqrt(1 - b2^t)) in the group's host dtype, from a table of the coming steps."""
        table = self.__dict__.get("_bias_table")
        key = (scalars.host, self.beta_1, self.beta_2)
        if table is None or not table.covers(key, t):
            table = self.__dict__["_bias_table"] = BiasCorrections(key, t)
        return table[t]


class BiasCorrections:
    """Adam's factors 1 - b1^t and sqrt(1 - b2^t) for `SIZE` steps from `first`, as the core computes them in
    the variables' dtype: numpy's powf for the powers, torch's sqrt for the root (it is not numpy's).

    One torch op takes the roots of the whole table, where a 0-d tensor per step costs three ops on every
    step: torch's CPU sqrt gives each element of a tensor what it gives a 0-d tensor of that element.
    """

    SIZE = 256

    def __init__(self, key, first: int):
        host, beta_1, beta_2 = key
        self.key, self.first = key, first
        steps = [host(t) for t in range(first, first + self.SIZE)]
        self.one_minus_beta_1_power = [1 - host(beta_1) ** t for t in steps]
        one_minus_beta_2_power = [1 - host(beta_2) ** t for t in steps]
        dtype = torch.float32 if host is np.float32 else torch.float64
        roots = torch.sqrt(torch.tensor([float(v) for v in one_minus_beta_2_power], dtype=dtype)).tolist()
        self.roots = [host(r) for r in roots]

    def covers(self, key, t: int) -> bool:
        return key == self.key and self.first <= t < self.first + self.SIZE

    def __getitem__(self, t: int) -> tuple:
        i = t - self.first
        return self.one_minus_beta_1_power[i], self.roots[i]


#: core optimizer name -> its fused mixin; AdamW is Adam with weight decay.
FUSED = {"SGD": FusedSGD, "RMSprop": FusedRMSprop, "Adam": FusedAdam, "AdamW": FusedAdam}


def fused_classes(bound_optimizers) -> dict:
    """{name: class} for the namespace `bound_optimizers` (fs.optimizers): each bound optimizer with its mixin."""
    out = {}
    for name, mixin in FUSED.items():
        bound = getattr(bound_optimizers, name)
        out[name] = type(name, (mixin, bound), {"__module__": bound.__module__, "__qualname__": name})
    return out

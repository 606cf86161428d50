"""Learning-rate schedules: `schedule(step) -> learning rate`, step = optimizer.iterations (Keras 3).

  ExponentialDecay        lr0 · rate^(step / decay_steps)             (staircase: floor the exponent)
  PiecewiseConstantDecay  values[i] for boundaries[i-1] < step <= boundaries[i]
  PolynomialDecay         (lr0 - end) · (1 - min(step, decay_steps) / decay_steps)^power + end
                          (cycle: decay_steps · ceil(step / decay_steps), at least decay_steps)
  InverseTimeDecay        lr0 / (1 + rate · step / decay_steps)        (staircase: floor the ratio)
  CosineDecay             lr0 · ((1 - alpha) · ½(1 + cos(π · min(step, decay_steps) / decay_steps)) + alpha),
                          after an optional linear warmup from lr0 to warmup_target over warmup_steps
  CosineDecayRestarts     CosineDecay restarted after first_decay_steps, each period t_mul times the last and
                          m_mul times as high (SGDR)
"""

from __future__ import annotations

import math
from typing import ClassVar

from fitspec.errors import invalid_argument


class LearningRateSchedule:
    """Base class: implement `__call__(step)` with `self.ops`, and `get_config()`."""

    backend: ClassVar = None

    @property
    def ops(self):
        return self.backend.ops

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _step(self, step):
        return self.ops.cast(step, self.backend.floatx())


def _positive(where, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise invalid_argument(where, name, "a positive number", value)


class _RateDecay(LearningRateSchedule):
    """A decay of `initial_learning_rate` at `decay_rate` over p = step / decay_steps (floor(p) with staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        _positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, self.default_name if name is None else name

    def _progress(self, step):
        p = self._step(step) / self.decay_steps
        return self.ops.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """initial_learning_rate * decay_rate ** p"""

    default_name = "ExponentialDecay"

    def __call__(self, step):
        p = self._progress(step)
        return self.initial_learning_rate * self.ops.power(self.ops.cast(self.decay_rate, self.ops.dtype(p)), p)


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(values) != len(boundaries) + 1:
            raise invalid_argument("PiecewiseConstantDecay", "values",
                                   f"{len(boundaries) + 1} values (one more than the boundaries)", values)
        if list(boundaries) != sorted(boundaries):
            raise invalid_argument("PiecewiseConstantDecay", "boundaries", "increasing steps", boundaries)
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        ops = self.ops
        step = self._step(step)
        lr = ops.cast(self.values[-1], ops.dtype(step))
        for boundary, value in reversed(list(zip(self.boundaries, self.values))):
            lr = ops.where(ops.less_equal(step, boundary), ops.cast(value, ops.dtype(step)), lr)
        return lr

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        _positive("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle, self.name = end_learning_rate, power, cycle, name

    def __call__(self, step):
        ops = self.ops
        step = self._step(step)
        if self.cycle:
            multiplier = ops.maximum(ops.ceil(step / self.decay_steps), 1.0)
            decay_steps = multiplier * self.decay_steps
        else:
            decay_steps = self.decay_steps
            step = ops.minimum(step, float(self.decay_steps))
        fraction = 1.0 - step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * ops.power(fraction, self.power) \
            + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_RateDecay):
    """initial_learning_rate / (1 + decay_rate * p)"""

    default_name = "InverseTimeDecay"

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class CosineDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _positive("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha, self.name = initial_learning_rate, decay_steps, \
            alpha, name
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decay(self, step, from_lr):
        ops = self.ops
        step = ops.minimum(step, float(self.decay_steps))
        cosine = 0.5 * (1.0 + ops.cos(math.pi * step / self.decay_steps))
        return from_lr * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        ops = self.ops
        step = self._step(step)
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate)
        warm = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * (
            step / max(self.warmup_steps, 1))
        decayed = self._decay(ops.maximum(step - self.warmup_steps, 0.0), self.warmup_target)
        return ops.where(ops.less(step, self.warmup_steps), warm, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: with p = step / first_decay_steps, the restart i and the fraction of it done
    (t_mul = 1: i = floor(p), p - i;  otherwise i = floor(log(1 - p (1 - t_mul)) / log(t_mul)),
    (p - (1 - t_mul^i) / (1 - t_mul)) / t_mul^i), lr0 · ((1 - alpha) · ½ m_mul^i (1 + cos(π · fraction)) + alpha)."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        _positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        ops = self.ops
        p = self._step(step) / self.first_decay_steps
        dtype = ops.dtype(p)
        if self.t_mul == 1.0:
            restart = ops.floor(p)
            p = p - restart
        else:
            t_mul = ops.cast(self.t_mul, dtype)
            restart = ops.floor(ops.log(1.0 - p * (1.0 - t_mul)) / ops.log(t_mul))
            p = (p - (1.0 - ops.power(t_mul, restart)) / (1.0 - t_mul)) / ops.power(t_mul, restart)
        cosine = 0.5 * ops.power(ops.cast(self.m_mul, dtype), restart) * (1.0 + ops.cos(math.pi * p))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                         InverseTimeDecay, CosineDecay, CosineDecayRestarts)}

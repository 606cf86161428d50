"""`fs.random` on PyTorch: the portable generator on int32 tensors; natively, a `torch.Generator` seeded by the key.

torch lacks uint32 addition and shifts, so the words are int32 tensors holding the same bits: addition
and multiplication wrap alike, a logical right shift masks the sign's copies away, and the unsigned
remainder, order and float value go through int64. Host reads and generators have no place in a
torch.compile graph, so every public function runs outside compilation (`torch.compiler.disable`):
under `jit_compile=True` a draw is a graph break, not a recompilation. The public functions, the
checks and the draws are the core's (fitspec.random, fitspec.random_draws).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from fitspec import random as core_random
from fitspec.threefry import MASK32, Words
from fitspec.variables import unwrap
from fitspec_torch import ops as torch_ops

_I32 = torch.int32


def _unsigned(a):
    """The words' unsigned values, as int64."""
    return a.to(torch.int64) & MASK32


class TorchWords(Words):
    def constant(self, values):
        array = np.asarray(values, dtype=np.uint32).view(np.int32)
        return torch.from_numpy(np.array(array)).to(torch_ops._device())

    def from_key(self, key):
        key = unwrap(key).to(device=torch_ops._device()).to(_I32)
        return key[0], key[1]

    def to_key(self, high, low):
        return torch.stack([high, low]).to(torch.uint32)

    def counters(self, shape):
        size = int(np.prod(shape, dtype=np.int64))
        low = torch.arange(size, dtype=torch.int64, device=torch_ops._device()).to(_I32).reshape(shape)
        return torch.zeros_like(low), low

    def add(self, a, b):
        return a + b

    def multiply(self, a, b):
        return a * b

    def remainder(self, a, b):
        return torch.remainder(_unsigned(a), _unsigned(b)).to(_I32)

    def xor(self, a, b):
        return a ^ b

    def bitwise_and(self, a, mask):
        return a & mask

    def bitwise_or(self, a, b):
        return a | b

    def shift_left(self, a, n):
        return a << n

    def shift_right(self, a, n):
        return (a >> n) & ((1 << (32 - n)) - 1)

    def to_float(self, a, dtype):
        return _unsigned(a).to(torch_ops.to_torch_dtype(dtype))

    def to_int(self, a, dtype):
        return _unsigned(a).to(torch_ops.to_torch_dtype(dtype))

    def argsort(self, a):
        return torch.argsort(_unsigned(a), stable=True)


_MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """One SplitMix64 output for the state x (Steele, Lea and Flood, 2014)."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class TorchNative(core_random.NativeDraws):
    """A fresh `torch.Generator` per draw (Philox on CUDA, Mersenne Twister on the CPU), seeded by SplitMix64 of
    the key's 64 bits."""

    @staticmethod
    def _generator(key) -> torch.Generator:
        high, low = (int(w) for w in unwrap(key).tolist())
        generator = torch.Generator(device=torch_ops._device())
        generator.manual_seed(splitmix64((high << 32) | low))
        return generator

    def uniform01(self, key, shape, dtype):
        return torch.rand(shape, generator=self._generator(key), dtype=torch_ops.to_torch_dtype(dtype),
                          device=torch_ops._device())

    def normal01(self, key, shape, dtype):
        return torch.randn(shape, generator=self._generator(key), dtype=torch_ops.to_torch_dtype(dtype),
                           device=torch_ops._device())

    def randint(self, key, shape, minval, maxval, dtype):
        values = torch.randint(minval, maxval, shape, generator=self._generator(key), device=torch_ops._device(),
                               dtype=torch.int64)
        return values.to(torch_ops.to_torch_dtype(dtype))

    def permutation(self, key, n):
        return torch.randperm(n, generator=self._generator(key), device=torch_ops._device())


class TorchRandom(core_random.RandomPrimitives):
    words = TorchWords()

    def key(self, data):
        return torch.from_numpy(np.asarray(data, dtype=np.uint32).copy()).to(torch_ops._device())

    def native(self, ops, portable):
        return TorchNative(ops, portable)

    def outside_compilation(self, fn):
        return torch.compiler.disable(fn)


def bind(api):
    """`TorchBackend.random_module`: this module, filled with the core's `fs.random` on PyTorch."""
    return core_random.bind(api, TorchRandom(), sys.modules[__name__])

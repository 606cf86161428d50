"""`fs.random` on PyTorch: the portable generator on int64 tensors; natively, a `torch.Generator` seeded by the key.

torch lacks uint32 addition and shifts, so the words are int64 tensors holding uint32 values, masked
after each addition and left shift. Threefry's rounds on a draw of `FUSED_SIZE` values or more run as
one `torch.compile`d kernel (C++ on the CPU, Triton on CUDA; eager where torch.compile is unavailable):
eager, they are some 130 dispatched ops. Host reads and generators have no place in a torch.compile
graph, so every public function runs outside compilation (`torch.compiler.disable`): under
`jit_compile=True` a draw is a graph break, not a recompilation. The public functions, the checks and
the draws are the core's (fitspec.random, fitspec.random_draws).
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import torch

from fitspec import random as core_random
from fitspec import threefry
from fitspec.random_draws import PortableDraws
from fitspec.threefry import MASK32, Words
from fitspec.variables import unwrap
from fitspec_torch import ops as torch_ops

_I64 = torch.int64
#: draws of at least this many values hash their counters in one compiled kernel
FUSED_SIZE = 1024


class TorchWords(Words):
    def constant(self, values):
        return torch.as_tensor(np.asarray(values, dtype=np.int64), device=torch_ops._device())

    def from_key(self, key):
        key = unwrap(key).to(device=torch_ops._device(), dtype=_I64) & MASK32
        return key[0], key[1]

    def to_key(self, high, low):
        return torch.stack([high, low]).to(torch.uint32)

    def counters(self, shape):
        low = torch.arange(int(np.prod(shape, dtype=np.int64)), dtype=_I64, device=torch_ops._device()).reshape(shape)
        return torch.zeros_like(low), low

    def add(self, a, b):
        return (a + b) & MASK32

    def multiply(self, a, b):
        return (a * b) & MASK32  # products of two words stay below 2**64: int64 wraps, its low 32 bits are exact

    def remainder(self, a, b):
        return torch.remainder(a, b)

    def xor(self, a, b):
        return a ^ b

    def bitwise_and(self, a, mask):
        return a & mask

    def bitwise_or(self, a, b):
        return a | b

    def shift_left(self, a, n):
        return (a << n) & MASK32

    def shift_right(self, a, n):
        return a >> n

    def to_float(self, a, dtype):
        return a.to(torch_ops.to_torch_dtype(dtype))

    def to_int(self, a, dtype):
        return a.to(torch_ops.to_torch_dtype(dtype))

    def argsort(self, a):
        return torch.argsort(a, stable=True)


_WORDS = TorchWords()


def _hash_counters(key, low):
    """The core's Threefry rounds on the counters (0, low) under `key` (int64 words): compiled into one kernel."""
    return threefry.hash2x32(_WORDS, key[0] & MASK32, key[1] & MASK32, torch.zeros_like(low), low)


@functools.lru_cache(maxsize=16)
def _counters(size: int, device: torch.device) -> torch.Tensor:
    """The flat counters of a draw of `size` values (read only), kept for the next draw of that size."""
    return torch.arange(size, dtype=_I64, device=device)


class TorchPortable(PortableDraws):
    """The portable generator with Threefry's rounds fused into one compiled kernel for large draws."""

    _fused = None  # torch.compile of `_hash_counters`, made at the first large draw; False where it fails

    def hashed_counters(self, key, shape):
        threefry.check_size(shape)
        size = int(np.prod(shape, dtype=np.int64))
        if size < FUSED_SIZE or TorchPortable._fused is False:
            return super().hashed_counters(key, shape)
        device = torch_ops._device()
        key = unwrap(key).to(device=device, dtype=_I64)
        if TorchPortable._fused is None:
            TorchPortable._fused = torch.compile(_hash_counters, dynamic=True, fullgraph=True)
        try:
            high, low = TorchPortable._fused(key, _counters(size, device))
        except Exception:  # noqa: BLE001 (no C++ compiler, no Triton: the same rounds, op by op)
            TorchPortable._fused = False
            return super().hashed_counters(key, shape)
        return high.reshape(shape), low.reshape(shape)


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
    words = _WORDS

    def key(self, data):
        return torch.from_numpy(np.asarray(data, dtype=np.uint32).copy()).to(torch_ops._device())

    def portable(self, ops):
        return TorchPortable(self.words, ops)

    def native(self, ops, portable):
        return TorchNative(ops, portable)

    def outside_compilation(self, fn):
        return torch.compiler.disable(fn)


def bind(api):
    """`TorchBackend.random_module`: this module, filled with the core's `fs.random` on PyTorch."""
    return core_random.bind(api, TorchRandom(), sys.modules[__name__])

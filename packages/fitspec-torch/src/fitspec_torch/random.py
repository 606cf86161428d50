"""`fs.random` on PyTorch: draws from a `torch.Generator` seeded by a 64-bit key.

A SeedGenerator's state (a uint32 Parameter) is read on the host and split by SplitMix64 into the
next state and a key; a key seeds a fresh `torch.Generator` on the state's device (Philox on CUDA,
Mersenne Twister on the CPU), which draws with torch's own functions. Host reads and generators
have no place in a torch.compile graph, so every public function runs outside compilation
(`torch.compiler.disable`): under `jit_compile=True` a draw is a graph break, not a recompilation.
The public functions and the checks are the core's (fitspec.random).
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import torch

from fitspec import random as core_random
from fitspec.variables import unwrap
from fitspec_torch import ops as torch_ops

_MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """One SplitMix64 output for the state x (Steele, Lea and Flood, 2014)."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class TorchKey(NamedTuple):
    seed: int  # a 64-bit seed for torch.Generator.manual_seed
    device: torch.device


class TorchRandom(core_random.RandomPrimitives):
    def key(self, data):
        return TorchKey(splitmix64((int(data[0]) << 32) | int(data[1])), torch_ops._device())

    def split(self, state):
        state = unwrap(state)
        high, low = (int(w) for w in state.tolist())
        word = (high << 32) | low
        new_word, seed = splitmix64(word), splitmix64(word ^ 0xD1B54A32D192ED03)
        new_state = torch.tensor([new_word >> 32, new_word & 0xFFFFFFFF], dtype=torch.uint32, device=state.device)
        return new_state, TorchKey(seed, state.device)

    @staticmethod
    def _generator(key: TorchKey) -> torch.Generator:
        generator = torch.Generator(device=key.device)
        generator.manual_seed(key.seed)
        return generator

    def normal(self, key, shape, dtype):
        return torch.randn(shape, generator=self._generator(key), dtype=torch_ops.to_torch_dtype(dtype),
                           device=key.device)

    def uniform(self, key, shape, dtype):
        return torch.rand(shape, generator=self._generator(key), dtype=torch_ops.to_torch_dtype(dtype),
                          device=key.device)

    def randint(self, key, shape, minval, maxval, dtype):
        values = torch.randint(minval, maxval, shape, generator=self._generator(key), device=key.device,
                               dtype=torch.int64)
        return values.to(getattr(torch, dtype))

    def permutation(self, key, n):
        return torch.randperm(n, generator=self._generator(key), device=key.device)

    def outside_compilation(self, fn):
        return torch.compiler.disable(fn)


def bind(api):
    """`TorchBackend.random_module`: this module, filled with the core's `fs.random` on PyTorch."""
    return core_random.bind(api, TorchRandom(), sys.modules[__name__])

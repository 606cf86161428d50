"""Where torch's `mean` is exactly the core's loss reduction, sum(values) / size, so a loss takes that one kernel.

On CPU, for float32 and float64, `torch.mean` over every axis computes exactly that sum followed by a division by
the size (ATen's CPU `mean` is `sum_out(...).div_(n)`): one op and one autograd node where the formula takes two.
Not on GPU, whose mean kernel multiplies by 1 / size; not in half precision, which `torch.mean` accumulates
differently; not in a `torch.compile` trace, which may decompose it.
"""

from __future__ import annotations

import torch

_EXACT_DTYPES = frozenset({torch.float32, torch.float64})


def mean_of_all(values):
    """`Backend.mean_of_all` of fitspec_torch: `torch.mean(values)` where it is exactly sum(values) / size."""
    if (isinstance(values, torch.Tensor) and values.is_cpu and values.dtype in _EXACT_DTYPES
            and not torch.compiler.is_compiling()):
        return torch.mean(values)
    return None

"""What the hand-written loops need for the mixed-precision models (`spec.dtype_policy`): the compute dtype, and
the dynamic loss scale a float16 loop keeps by hand, with Keras's LossScaleOptimizer defaults (docs/SPEC.md 7.6):

    scale starts at 2^15; a step whose gradients are not all finite changes no weight and halves the scale;
    after 2000 finite steps in a row the scale doubles.
"""

from __future__ import annotations

COMPUTE_DTYPES = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
INITIAL_SCALE = 2.0**15
GROWTH_STEPS = 2000


def compute_dtype(spec) -> str | None:
    """The dtype the loop computes in (None: the weights' own, no mixed precision)."""
    return COMPUTE_DTYPES.get(spec.dtype_policy) if spec.dtype_policy else None


def loss_scaled(spec) -> bool:
    """Whether the loop scales its loss: float16 only (bfloat16 has float32's range)."""
    return spec.dtype_policy == "mixed_float16"


def next_scale(xp, scale, good_steps, finite):
    """(scale, good_steps) after a step whose gradients were `finite` (a boolean scalar), in the array API `xp`."""
    grown = good_steps + 1 >= GROWTH_STEPS
    new_scale = xp.where(finite, xp.where(grown, scale * 2.0, scale), scale / 2.0)
    new_good = xp.where(finite & ~grown, good_steps + 1, 0)
    return new_scale, new_good

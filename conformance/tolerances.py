"""The one tolerance table: (rtol, atol) per precision mode and device.

float64 runs every backend in float64 against the float64 reference: tight, it catches formula
bugs. float32 compares a float32 run with the float64 reference: it allows float32 rounding
accumulated over a few hundred steps, and catches precision bugs. Per-case widening is data, in
conformance/cases.py, and always carries a reason.
"""

from __future__ import annotations

TABLE: dict[tuple[str, str], tuple[float, float]] = {
    ("float64", "cpu"): (1e-9, 1e-12),
    ("float64", "gpu"): (1e-9, 1e-12),
    ("float32", "cpu"): (2e-4, 2e-5),
    ("float32", "gpu"): (2e-4, 2e-5),
    # a mixed-policy fit against its float32 twin (docs/SPEC.md 10.4): the compute dtype rounds each op (bfloat16
    # keeps 8 significant bits, float16 11) and a step is a few ops deep; over a few steps that reaches 16
    # roundings of the weights' steps and the losses (the normalization layers' statistics stay float32)
    ("mixed_bfloat16", "cpu"): (16 * 2.0**-8, 16 * 2.0**-8),
    ("mixed_bfloat16", "gpu"): (16 * 2.0**-8, 16 * 2.0**-8),
    ("mixed_float16", "cpu"): (16 * 2.0**-11, 16 * 2.0**-11),
    ("mixed_float16", "gpu"): (16 * 2.0**-11, 16 * 2.0**-11),
}


def tolerance(precision: str, device: str, widen: dict | None = None) -> tuple[float, float]:
    """(rtol, atol) for a comparison; `widen` maps a precision to (rtol, atol, reason)."""
    rtol, atol = TABLE[(precision, device)]
    if widen and precision in widen:
        w_rtol, w_atol, reason = widen[precision]
        if not reason:
            raise ValueError("a widened tolerance needs a reason")
        rtol, atol = max(rtol, w_rtol), max(atol, w_atol)
    return rtol, atol

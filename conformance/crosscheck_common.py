"""What every crosscheck area shares: the float64 tolerances, the nested comparison and the one verdict line."""

from __future__ import annotations

import numpy as np

RTOL, ATOL = 1e-7, 1e-8  # float64 runs whose summation orders differ, over tens of steps


def compare(a, b, path: str, problems: list[str]) -> None:
    if isinstance(b, dict):
        if sorted(a) != sorted(b):
            problems.append(f"{path}: keys {sorted(a)} != Keras {sorted(b)}")
            return
        for key in b:
            compare(a[key], b[key], f"{path}[{key!r}]", problems)
    elif isinstance(b, list) and b and isinstance(b[0], np.ndarray):
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", problems)
    else:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if x.shape != y.shape or not np.allclose(x, y, rtol=RTOL, atol=ATOL):
            worst = float(np.max(np.abs(x - y))) if x.shape == y.shape else float("nan")
            problems.append(f"{path}: differs (max |diff| {worst:.3e})")


def verdict(name: str, problems: list[str], documented: str | None = None) -> int:
    """Print whether `name` agrees with Keras 3, differs as `documented`, or differs; 1 for a failure, else 0."""
    import keras

    if not problems:
        print(f"agrees with Keras {keras.__version__}: {name}")
    elif documented:
        print(f"differs as documented: {name}: {documented}")
    else:
        print(f"DIFFERS from Keras {keras.__version__}: {name}")
        for problem in problems[:10]:
            print(f"    {problem}")
    return int(bool(problems) and not documented)

"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def floats(low=-3.0, high=3.0):
    # no subnormals: TensorFlow and XLA flush them to zero on CPU, which is not what these tests are about;
    # and none that float32 cannot represent (|x| < 1.2e-38 becomes 0.0), or float32 runs see a different input
    tiny = float(np.finfo(np.float32).tiny)
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64).map(
        lambda x: 0.0 if abs(x) < tiny else x)


def weights():
    """Sample weights: zero, or far enough from zero to stay representable in float16."""
    return st.one_of(st.just(0.0), st.floats(1e-3, 2.0, allow_nan=False, width=64))


@st.composite
def batches(draw, min_rows=1, max_rows=12, min_cols=1, max_cols=5, low=-3.0, high=3.0):
    rows = draw(st.integers(min_rows, max_rows))
    cols = draw(st.integers(min_cols, max_cols))
    return draw(hnp.arrays(np.float64, (rows, cols), elements=floats(low, high)))


@st.composite
def regression_pair(draw):
    """(y_true, y_pred, sample_weight of shape (n,))."""
    y = draw(batches())
    p = draw(hnp.arrays(np.float64, y.shape, elements=floats()))
    w = draw(hnp.arrays(np.float64, (y.shape[0],), elements=weights()))
    return y, p, w


@st.composite
def probabilities(draw, min_cols=2, max_cols=5):
    """(one-hot targets, probabilities rows, sample_weight)."""
    rows = draw(st.integers(1, 12))
    cols = draw(st.integers(min_cols, max_cols))
    logits = draw(hnp.arrays(np.float64, (rows, cols), elements=floats(-4, 4)))
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    labels = draw(hnp.arrays(np.int64, (rows,), elements=st.integers(0, cols - 1)))
    w = draw(hnp.arrays(np.float64, (rows,), elements=weights()))
    return np.eye(cols)[labels], p, labels, logits, w


@st.composite
def split_points(draw, n):
    """Sorted cut points splitting range(n) into consecutive chunks."""
    cuts = draw(st.lists(st.integers(1, max(1, n - 1)), max_size=4, unique=True)) if n > 1 else []
    return [0, *sorted(cuts), n]

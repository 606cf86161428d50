"""The window functions STFT accepts by name, as `scipy.signal.get_window(name, n, fftbins)` defines them,
computed in float64 numpy so that fitspec needs no scipy.

A symmetric window of length n is w[k] for k = 0..n-1; a periodic one (fftbins=True) is the symmetric window
of length n + 1 without its last point. n <= 1 gives ones.
"""

from __future__ import annotations

import math

import numpy as np

from fitspec.errors import invalid_argument


def _cosine_sum(coefficients):
    """w(x) = sum_k a_k cos(k x), x = -pi .. pi in m equal steps (blackman, hann, hamming, nuttall, ...)."""

    def window(m: int) -> np.ndarray:
        x = np.linspace(-np.pi, np.pi, m)
        w = np.zeros(m)
        for k, a in enumerate(coefficients):
            w += a * np.cos(k * x)
        return w

    return window


def _boxcar(m):
    return np.ones(m)


def _triang(m):
    """Triangle that does not reach zero: (2k - 1)/m (m even) or 2k/(m + 1) (m odd), k = 1..ceil(m/2), mirrored."""
    k = np.arange(1, (m + 1) // 2 + 1, dtype=np.float64)
    if m % 2 == 0:
        half = (2 * k - 1.0) / m
        return np.concatenate([half, half[::-1]])
    half = 2 * k / (m + 1.0)
    return np.concatenate([half, half[-2::-1]])


def _bartlett(m):
    """Triangle reaching zero at both ends: 2k/(m - 1) up to the middle, 2 - 2k/(m - 1) after."""
    k = np.arange(m, dtype=np.float64)
    return np.where(k <= (m - 1) / 2.0, 2.0 * k / (m - 1), 2.0 - 2.0 * k / (m - 1))


def _parzen(m):
    """Piecewise cubic in |t|, t = k - (m - 1)/2: 1 - 6(|t|/(m/2))^2 + 6(|t|/(m/2))^3 inside (m - 1)/4,
    2(1 - |t|/(m/2))^3 outside."""
    t = np.abs(np.arange(-(m - 1) / 2.0, (m - 1) / 2.0 + 0.5, 1.0))
    r = t / (m / 2.0)
    return np.where(t <= (m - 1) / 4.0, 1 - 6 * r**2.0 + 6 * r**3.0, 2 * (1 - r) ** 3.0)


def _bohman(m):
    """(1 - |x|) cos(pi |x|) + sin(pi |x|)/pi on x = -1 .. 1, zero at the ends."""
    x = np.abs(np.linspace(-1, 1, m)[1:-1])
    inner = (1 - x) * np.cos(np.pi * x) + 1.0 / np.pi * np.sin(np.pi * x)
    return np.concatenate([[0.0], inner, [0.0]])


def _barthann(m):
    """0.62 - 0.48 |k/(m - 1) - 1/2| + 0.38 cos(2 pi |k/(m - 1) - 1/2|)."""
    x = np.abs(np.arange(m, dtype=np.float64) / (m - 1.0) - 0.5)
    return 0.62 - 0.48 * x + 0.38 * np.cos(2 * np.pi * x)


def _cosine(m):
    """sin(pi (k + 1/2) / m)."""
    return np.sin(np.pi / m * (np.arange(m, dtype=np.float64) + 0.5))


def _exponential(m):
    """exp(-|k - (m - 1)/2|), scipy's default tau = 1 about the centre."""
    exponents = -np.abs(np.arange(m, dtype=np.float64) - (m - 1) / 2) / 1.0
    return np.array([math.exp(e) for e in exponents])  # numpy's exp differs in the last bit on AVX-512 CPUs


def _tukey(m, alpha=0.5):
    """Flat top between two half-cosine tapers, each alpha (m - 1)/2 points wide (scipy's default alpha 0.5)."""
    k = np.arange(m, dtype=np.float64)
    width = int(math.floor(alpha * (m - 1) / 2.0))
    head, middle, tail = k[: width + 1], k[width + 1: m - width - 1], k[m - width - 1:]
    return np.concatenate([
        0.5 * (1 + np.cos(np.pi * (-1 + 2.0 * head / alpha / (m - 1)))),
        np.ones(middle.shape),
        0.5 * (1 + np.cos(np.pi * (-2.0 / alpha + 1 + 2.0 * tail / alpha / (m - 1)))),
    ])


def _taylor(m, nbar=4, sll=30):
    """Taylor window (scipy's defaults nbar=4, sll=30 dB, normalised to 1 at the centre):
    W(k) = 1 + 2 sum_j F_j cos(2 pi j (k - m/2 + 1/2) / m)."""
    a = math.acosh(10 ** (sll / 20)) / math.pi
    s2 = nbar**2 / (a**2 + (nbar - 0.5) ** 2)
    j = np.arange(1, nbar, dtype=np.float64)
    j2 = j * j
    coefficients = np.empty(nbar - 1)
    for i in range(nbar - 1):
        sign = 1.0 if i % 2 == 0 else -1.0
        numerator = sign * np.prod(1 - j2[i] / s2 / (a**2 + (j - 0.5) ** 2))
        denominator = 2 * np.prod(1 - j2[i] / j2[:i]) * np.prod(1 - j2[i] / j2[i + 1:])
        coefficients[i] = numerator / denominator

    def taylor_sum(k):
        terms = coefficients[:, np.newaxis] * np.cos(2 * np.pi * j[:, np.newaxis] * (k - m / 2.0 + 0.5) / m)
        return 1 + 2 * sum(terms[1:], terms[0])  # in order, where a BLAS matmul sums in the CPU's order

    return taylor_sum(np.arange(m, dtype=np.float64)) * (1.0 / taylor_sum((m - 1) / 2))


def _lanczos(m):
    """sinc(2k/(m - 1) - 1), mirrored about the centre."""
    def right(start, stop):
        return np.sinc(2.0 * np.arange(start, stop, dtype=np.float64) / (stop - 1) - 1.0)

    if m % 2 == 0:
        half = right(m / 2, m)
        return np.concatenate([half[::-1], half])
    half = right((m + 1) / 2, m)
    return np.concatenate([half[::-1], [1.0], half])


_HANN = _cosine_sum([0.5, 0.5])
_FUNCTIONS = {
    ("barthann", "brthan", "bth"): _barthann,
    ("bartlett", "bart", "brt"): _bartlett,
    ("blackman", "black", "blk"): _cosine_sum([0.42, 0.50, 0.08]),
    ("blackmanharris", "blackharr", "bkh"): _cosine_sum([0.35875, 0.48829, 0.14128, 0.01168]),
    ("bohman", "bman", "bmn"): _bohman,
    ("boxcar", "box", "ones", "rect", "rectangular"): _boxcar,
    ("cosine", "halfcosine"): _cosine,
    ("exponential", "poisson"): _exponential,
    ("flattop", "flat", "flt"): _cosine_sum([0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368]),
    ("hamming", "hamm", "ham"): _cosine_sum([0.54, 1.0 - 0.54]),
    ("hann", "han"): _HANN,
    ("lanczos", "sinc"): _lanczos,
    ("nuttall", "nutl", "nut"): _cosine_sum([0.3635819, 0.4891775, 0.1365995, 0.0106411]),
    ("parzen", "parz", "par"): _parzen,
    ("taylor", "taylorwin"): _taylor,
    ("triangle", "triang", "tri"): _triang,
    ("tukey", "tuk"): _tukey,
}
#: every name `scipy.signal.get_window` accepts without parameters, and so every name Keras's STFT accepts
WINDOWS = {name: function for names, function in _FUNCTIONS.items() for name in names}


def check_window_name(name: str, where: str) -> None:
    if name not in WINDOWS:
        raise invalid_argument(where, "window", f"one of {sorted(WINDOWS)}, an array of window values or None",
                               name)


def get_window(name: str, n: int, periodic: bool) -> np.ndarray:
    """`scipy.signal.get_window(name, n, fftbins=periodic)` for a window without parameters, in float64."""
    check_window_name(name, "STFT")
    if n <= 1:
        return np.ones(n)
    window = WINDOWS[name]
    return window(n + 1)[:-1] if periodic else window(n)

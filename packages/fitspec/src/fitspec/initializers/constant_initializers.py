"""The deterministic initializers: Zeros, Ones, Constant, Identity and STFT, Keras 3's arrays on the host."""

from __future__ import annotations

import numpy as np

from fitspec.errors import invalid_argument
from fitspec.initializers.base import Initializer, check_dtype, check_number, check_shape
from fitspec.initializers.windows import check_window_name, get_window


class Zeros(Initializer):
    """0 everywhere."""

    def __call__(self, shape, dtype=None):
        return np.zeros(check_shape("Zeros", shape), dtype=check_dtype(dtype))


class Ones(Initializer):
    """1 everywhere."""

    def __call__(self, shape, dtype=None):
        return np.ones(check_shape("Ones", shape), dtype=check_dtype(dtype))


class Constant(Initializer):
    """`value` everywhere (a scalar, or an array that broadcasts to the shape)."""

    def __init__(self, value=0.0):
        if isinstance(value, (list, tuple, np.ndarray)):
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise invalid_argument("Constant", "value", "a number or an array of numbers", value)
        else:
            check_number("Constant", "value", value)
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = check_shape("Constant", shape)
        try:
            return np.broadcast_to(np.asarray(self.value, dtype=check_dtype(dtype)), shape).copy()
        except ValueError:
            raise invalid_argument("Constant", "shape", f"a shape that {np.shape(self.value)} broadcasts to",
                                   shape) from None

    def get_config(self):
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value.item() if isinstance(value, np.generic) else value}


class Identity(Initializer):
    """gain * I for a 2-D shape (rows, cols): ones on the main diagonal of a rectangle too."""

    def __init__(self, gain=1.0):
        self.gain = check_number("Identity", "gain", gain)

    def __call__(self, shape, dtype=None):
        shape = check_shape("Identity", shape)
        if len(shape) != 2:
            raise invalid_argument("Identity", "shape", "a 2-D shape (rows, cols)", shape)
        return (self.gain * np.eye(*shape)).astype(check_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}  # Keras 3.15's config omits it: a reloaded Identity(gain=2) would have gain 1


class STFT(Initializer):
    """A Conv1D kernel of shape (T, 1, F) whose outputs are the real or imaginary parts of a windowed DFT.

    kernel[t, 0, f] = cos(-2 pi t f / N) (side "real") or sin(-2 pi t f / N) (side "imag"), N = 2 (F - 1),
    times window[t] / s, where s = sqrt(sum window^2) ("density"), sum |window| ("spectrum") or 1 (None).
    `window`: a name `scipy.signal.get_window` accepts without parameters (computed without scipy,
    `fitspec.initializers.windows`), an array of T values, or None (no window and no scaling).
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise invalid_argument("STFT", "side", "'real' or 'imag'", side)
        if isinstance(window, str):
            check_window_name(window, "STFT")
        elif window is not None:
            values = np.asarray(window)
            if values.ndim != 1 or values.dtype.kind not in "biuf":
                raise invalid_argument("STFT", "window", "a window name, a 1-D array of numbers or None", window)
        if scaling not in (None, "density", "spectrum"):
            raise invalid_argument("STFT", "scaling", "'density', 'spectrum' or None", scaling)
        if not isinstance(periodic, (bool, np.bool_)):
            raise invalid_argument("STFT", "periodic", "a bool", periodic)
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, bool(periodic)

    def __call__(self, shape, dtype=None):
        shape = check_shape("STFT", shape)
        if len(shape) != 3 or shape[0] < 1 or shape[1] != 1 or shape[2] < 2:
            raise invalid_argument("STFT", "shape", "(frame_length >= 1, 1, fft_length // 2 + 1 >= 2)", shape)
        frame_length, _, bins = shape
        time = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        frequency = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / ((bins - 1) * 2)
        angle = -2 * time * frequency * np.pi
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            window = (get_window(self.window, frame_length, self.periodic) if isinstance(self.window, str)
                      else np.asarray(self.window, dtype=np.float64))
            if window.shape != (frame_length,):
                raise invalid_argument("STFT", "window", f"{frame_length} values (the kernel's frame_length)",
                                       self.window)
            window = window.reshape(frame_length, 1, 1)
            scale = {"density": lambda: np.sqrt(np.sum(np.square(window))), "spectrum": lambda: np.sum(np.abs(window)),
                     None: lambda: 1.0}[self.scaling]()
            if scale == 0:  # Keras divides by it: a kernel of NaN
                raise invalid_argument("STFT", "window", f"a window with a nonzero {self.scaling} scale for "
                                       f"frame_length {frame_length}", self.window)
            kernel = kernel * window / scale
        return kernel.astype(check_dtype(dtype))

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


#: the classes of this module, by their names
CLASSES = {cls.__name__: cls for cls in (Constant, Identity, Ones, STFT, Zeros)}

"""The progress bar of the guides: `32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.2466 - mae: 0.3986`.

On a terminal the line is redrawn in place; otherwise (a log file, a pipe) only the final line of
each epoch is written, so logs are not flooded.
"""

from __future__ import annotations

import sys
import time

BAR_WIDTH = 20


def format_value(value: float) -> str:
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_time_per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    def __init__(self, target: int | None, verbose: int = 1, stream=None):
        self.target = target
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._start = time.perf_counter()
        self._last_width = 0

    def line(self, current: int, values: dict, finalize: bool) -> str:
        elapsed = time.perf_counter() - self._start
        if self.target:
            digits = len(str(self.target))
            filled = int(BAR_WIDTH * min(current, self.target) / self.target)
            bar = "━" * filled + "━" * (BAR_WIDTH - filled)
            if self.dynamic:
                bar = f"\x1b[32m{'━' * filled}\x1b[0m\x1b[37m{'━' * (BAR_WIDTH - filled)}\x1b[0m"
            head = f"{current:>{digits}}/{self.target} {bar}"
        else:
            head = f"{current}/Unknown"
        per_step = elapsed / max(current, 1)
        if finalize or not self.target:
            timing = f"{elapsed:.0f}s {format_time_per_step(per_step)}"
        else:
            timing = f"{per_step * (self.target - current):.0f}s {format_time_per_step(per_step)}"
        metrics = "".join(f" - {k}: {format_value(v)}" for k, v in values.items())
        return f"{head} {timing}{metrics}"

    def update(self, current: int, values: dict | None = None, finalize: bool = False) -> None:
        values = values or {}
        if self.verbose == 1 and self.dynamic:
            text = self.line(current, values, finalize)
            pad = max(0, self._last_width - len(text))
            self.stream.write("\r" + text + " " * pad + ("\n" if finalize else ""))
            self._last_width = len(text)
            self.stream.flush()
        elif finalize and self.verbose == 1:
            self.stream.write(self.line(current, values, True) + "\n")
            self.stream.flush()
        elif finalize and self.verbose == 2:
            elapsed = time.perf_counter() - self._start
            per_step = format_time_per_step(elapsed / max(current, 1))
            metrics = "".join(f" - {k}: {format_value(v)}" for k, v in values.items())
            self.stream.write(f"{current}/{self.target or current} - {elapsed:.0f}s - {per_step}{metrics}\n")
            self.stream.flush()

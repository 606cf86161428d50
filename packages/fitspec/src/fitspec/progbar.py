"""The progress bar of the guides: `32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.2466 - mae: 0.3986`.

`Progbar` is also `fs.utils.Progbar`, with Keras 3's arguments and averaging: a value not in
`stateful_metrics` is shown as its mean over the steps it was given for, weighted by the steps each
update covers, except that the final update shows the value given; a stateful one as given. On a
terminal the line is redrawn in place; otherwise (a log file, a pipe) only the final line of each bar
is written, so logs are not flooded. With interactive logging off (`fs.config.disable_interactive_logging`)
the lines go to the `fitspec` logger at INFO instead of the stream (docs/SPEC.md 8.8, 12.5).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping

import numpy as np

from fitspec.errors import invalid_argument

BAR_WIDTH = 20
LOGGER = logging.getLogger("fitspec")


def format_value(value) -> str:
    """A logged value as the bar shows it; a vector (docs/SPEC.md 6.10) by its mean, as Keras's bar."""
    if type(value) is not float:
        value = float(np.mean(value))
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_time_per_step(seconds: float, unit_name: str = "step") -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def print_message(text: str, backend=None, stream=None) -> None:
    """`text` (a whole line, or a redraw) to `stream` (stdout), or to the `fitspec` logger when `backend` has
    interactive logging off (Keras's `io_utils.print_msg`)."""
    if backend is not None and not backend.interactive_logging:
        LOGGER.info(text.strip("\r\n"))
        return
    stream = stream or sys.stdout
    stream.write(text)
    stream.flush()


class Progbar:
    """Keras's `Progbar(target, width, verbose, interval, stateful_metrics, stateless_metrics, unit_name)`.

    `update(current, values, finalize)`: `values` a list of `(name, value)` pairs (or a dict); `finalize`
    defaults to `current >= target`. `add(n, values)` is `update(seen + n, values)`.
    """

    #: the backend whose interactive-logging setting applies (set on each backend's `fs.utils.Progbar`)
    backend = None

    def __init__(self, target, width=BAR_WIDTH, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", stream=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise invalid_argument("Progbar", "stateless_metrics", "None when stateful_metrics is given",
                                   stateless_metrics)
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, np.integer))
                                   or target < 0):
            raise invalid_argument("Progbar", "target", "a non-negative int or None", target)
        if verbose not in (0, 1, 2):
            raise invalid_argument("Progbar", "verbose", "0, 1 or 2", verbose)
        self.target, self.width, self.verbose, self.interval = target, int(width), verbose, interval
        self.unit_name = unit_name
        # which names are averaged: all but `stateful_metrics`, or only `stateless_metrics`
        self._averaged = ((lambda k, s=set(stateful_metrics or ()): k not in s) if stateless_metrics is None
                          else (lambda k, s=set(stateless_metrics): k in s))
        # averaging nothing (ProgbarLogger): the latest values are kept as given and read only when drawn, so a
        # bar that draws only at the end does not bring every step's logs to the host (fitspec.execution.logs)
        self._averages_nothing = stateless_metrics is not None and not set(stateless_metrics)
        self._pending = None
        self.stream = stream
        out = stream or sys.stdout
        self.dynamic = hasattr(out, "isatty") and out.isatty()
        self._values: dict = {}  # name -> [sum of value * steps, steps]
        self._seen_so_far = 0
        self._start = time.perf_counter()
        self._last_update = 0.0
        self._last_width = 0

    # -- Keras's averaging ------------------------------------------------------------------------------
    def _record(self, current: int, values, finalize: bool) -> None:
        if self._averages_nothing and isinstance(values, Mapping):
            self._pending, self._seen_so_far = values, current
            return
        items = values.items() if isinstance(values, Mapping) else (values or [])
        for key, value in items:
            if not self._averaged(key) or finalize:
                self._values[key] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            if key in self._values:
                self._values[key][0] = self._values[key][0] + value * steps
                self._values[key][1] += steps
            else:
                self._values[key] = [value * steps, steps]
        self._seen_so_far = current

    def _shown(self) -> dict:
        """{name: the value shown}: the sum over the steps divided by their number (a vector: its mean)."""
        if self._pending is not None:
            self._values.update({key: [value, 1] for key, value in self._pending.items()})
            self._pending = None
        out = {}
        for key, (total, count) in self._values.items():
            total = total if type(total) is float else float(np.mean(total))
            out[key] = total / max(1, count)
        return out

    # -- text ----------------------------------------------------------------------------------------------
    def line(self, current: int, values: dict | None = None, finalize: bool = False) -> str:
        """The verbose-1 line for `current` with the values shown now (or the `values` given)."""
        shown = self._shown() if values is None else values
        elapsed = time.perf_counter() - self._start
        if self.target:
            digits = len(str(self.target))
            filled = int(self.width * min(current, self.target) / self.target)
            bar = "━" * self.width
            if self.dynamic:
                bar = f"\x1b[32m{'━' * filled}\x1b[0m\x1b[37m{'━' * (self.width - filled)}\x1b[0m"
            head = f"{current:>{digits}}/{self.target} {bar}"
        else:
            head = f"{current}/Unknown"
        per_step = elapsed / max(current, 1)
        if finalize or not self.target:
            timing = f"{elapsed:.0f}s {format_time_per_step(per_step, self.unit_name)}"
        else:
            timing = f"{per_step * (self.target - current):.0f}s {format_time_per_step(per_step, self.unit_name)}"
        metrics = "".join(f" - {k}: {format_value(v)}" for k, v in shown.items())
        return f"{head} {timing}{metrics}"

    def update(self, current: int, values=None, finalize=None) -> None:
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values, finalize)
        if self.verbose == 0:
            return
        now = time.perf_counter()
        dynamic = self.dynamic and (self.backend is None or self.backend.interactive_logging)
        if self.verbose == 1 and dynamic:
            if now - self._last_update < self.interval and not finalize:
                return
            text = self.line(current, finalize=finalize)
            pad = max(0, self._last_width - len(text))
            print_message("\r" + text + " " * pad + ("\n" if finalize else ""), self.backend, self.stream)
            self._last_width = len(text)
        elif finalize and self.verbose == 1:
            print_message(self.line(current, finalize=True) + "\n", self.backend, self.stream)
        elif finalize and self.verbose == 2:
            elapsed = time.perf_counter() - self._start
            per_step = format_time_per_step(elapsed / max(current, 1), self.unit_name)
            metrics = "".join(f" - {k}: {format_value(v)}" for k, v in self._shown().items())
            print_message(f"{current}/{self.target or current} - {elapsed:.0f}s - {per_step}{metrics}\n",
                          self.backend, self.stream)
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        self.update(self._seen_so_far + n, values)

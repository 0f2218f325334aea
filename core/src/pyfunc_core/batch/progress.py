"""The progress bar on stderr (only when it is a terminal)."""

from __future__ import annotations

import sys
import time
from typing import Callable

_WIDTH = 30


class ProgressBar:
    """Redraws ``[#####.....]  45%  4,500,000 rows  812,000 rows/s  ETA 6s`` at most 10 times a second.

    ``fraction`` returns how much of the input has been read (``None`` when unknown, as
    for stdin), which turns the bar into a plain counter.
    """

    def __init__(self, fraction: Callable[[], float | None], enabled: bool):
        self._fraction = fraction
        self._enabled = enabled
        self._started = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, rows: int, *, force: bool = False) -> None:
        if not self._enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        elapsed = max(now - self._started, 1e-9)
        rate = rows / elapsed
        fraction = self._fraction()
        if fraction is None:
            text = f"scored {rows:,} rows ({rate:,.0f} rows/s)"
        else:
            fraction = min(max(fraction, 0.0), 1.0)
            filled = int(fraction * _WIDTH)
            eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
            text = (
                f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:4.0%}  {rows:,} rows  "
                f"{rate:,.0f} rows/s  ETA {eta:,.0f}s"
            )
        sys.stderr.write(f"\r{text}\x1b[K")
        sys.stderr.flush()
        self._drawn = True

    def finish(self, rows: int) -> None:
        if self._enabled and self._drawn:
            self.update(rows, force=True)
            sys.stderr.write("\n")
            sys.stderr.flush()

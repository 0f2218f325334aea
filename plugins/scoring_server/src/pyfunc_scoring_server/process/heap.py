"""Handing memory back to the operating system once a burst of large requests is over.

glibc's allocator keeps the pages it freed for reuse, so after a few concurrent 10,000-row
bodies a worker would hold its peak footprint for the rest of its life. When the worker is
idle again after a large body, a background thread calls ``malloc_trim(0)``, which returns
every whole free page of every arena, and once more a second later for what closing
connections released meanwhile. Requests never wait for it, and small requests never
trigger it.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from typing import Callable

logger = logging.getLogger("pyfunc_scoring_server")

#: A body of at least this many bytes marks the heap for trimming.
LARGE_BODY = 256 * 1024
#: How long the worker must stay idle before the trim runs, and before the second one.
IDLE_DELAY = 0.1
SETTLE_DELAY = 1.0


#: glibc's mallopt parameter for the number of malloc arenas.
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (one per thread by default, up to 8 per core), so the
    freed memory of many request threads is not spread over many heaps; True when set."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_ARENA_MAX, arenas))


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on another C library."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class HeapTrimmer:
    """Trims the C heap after large requests, once ``is_idle()`` has held for a moment."""

    def __init__(
        self,
        is_idle: Callable[[], bool],
        large_body: int = LARGE_BODY,
        delays: tuple[float, ...] = (IDLE_DELAY, SETTLE_DELAY),
    ) -> None:
        self._trim = _malloc_trim()
        self._is_idle = is_idle
        self._large_body = large_body
        self._delays = delays
        self._dirty = False
        self._wake = threading.Event()
        self.trims = 0
        if self._trim is not None:
            threading.Thread(target=self._run, name="heap-trimmer", daemon=True).start()

    @property
    def available(self) -> bool:
        return self._trim is not None

    def saw_body(self, size: int) -> None:
        """Called for every request with its body size."""
        if size >= self._large_body:
            self._dirty = True

    def went_idle(self) -> None:
        """Called when the last in-flight request has been answered."""
        if self._dirty:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            for delay in self._delays:
                time.sleep(delay)
                if self._wake.is_set() or not self._is_idle():
                    break  # busy again: the next went_idle() starts over
                self._dirty = False
                self._trim(0)  # type: ignore[misc]
                self.trims += 1

"""The supervisor lets go of the library pages it touched while importing.

With several workers the supervisor imports the model's framework and loads the model once,
forks the workers, and from then on only watches them. The code and data pages of the
shared libraries it touched while importing (60 MB or so for scikit-learn, scipy, pandas and
pyarrow) stay in its resident set although only the workers run that code. ``MADV_PAGEOUT``
(Linux 5.4+) drops the file-backed pages that no other process maps; they stay in the page
cache like any file's pages and fault back in if the supervisor ever touches them again.
Pages the workers map are left alone, and so is every anonymous page (the model, the heap):
nothing is lost, only no longer counted against the supervisor.
"""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger("pyfunc_scoring_server")

_MADV_PAGEOUT = 21


def release_file_pages() -> int:
    """Page out this process's file-backed mappings; the number of mappings advised."""
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
        maps = open("/proc/self/maps")
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    advised = 0
    with maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6 or not fields[5].startswith("/"):
                continue  # anonymous memory, the heap, stacks, [vdso]...
            low, high = (int(x, 16) for x in fields[0].split("-"))
            if madvise(low, high - low, _MADV_PAGEOUT) != 0:
                logger.debug("MADV_PAGEOUT unavailable (errno %d)", ctypes.get_errno())
                return advised
            advised += 1
    return advised

"""The heap trimmer: glibc's malloc_trim runs once a worker is idle after a large body."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from pathlib import Path

import pytest

from pyfunc_scoring_server.process.heap import HeapTrimmer
from pyfunc_scoring_server.scoring.batching import DirectRunner


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def trimmer_factory():
    def make(is_idle):
        trimmer = HeapTrimmer(is_idle, large_body=1000, delays=(0.01, 0.02))
        if not trimmer.available:
            pytest.skip("malloc_trim is glibc's; this C library has none")
        return trimmer

    return make


def test_trims_twice_after_a_large_body_once_idle(trimmer_factory) -> None:
    trimmer = trimmer_factory(lambda: True)
    trimmer.saw_body(999)
    trimmer.went_idle()
    time.sleep(0.2)
    assert trimmer.trims == 0  # small bodies never trigger it
    trimmer.saw_body(1000)
    trimmer.went_idle()
    assert _wait_for(lambda: trimmer.trims == 2)  # once when idle, once more after settling
    trimmer.went_idle()
    time.sleep(0.2)
    assert trimmer.trims == 2  # nothing large since: no more trims


def test_never_trims_while_busy(trimmer_factory) -> None:
    busy = threading.Event()
    busy.set()
    trimmer = trimmer_factory(lambda: not busy.is_set())
    trimmer.saw_body(10_000)
    trimmer.went_idle()
    time.sleep(0.2)
    assert trimmer.trims == 0
    busy.clear()
    trimmer.went_idle()  # the next request to finish wakes it again
    assert _wait_for(lambda: trimmer.trims >= 1)


def test_an_idle_predict_thread_keeps_nothing_of_the_last_request() -> None:
    class Payload:
        pass

    runner = DirectRunner(lambda data, params: 1, threads=1)
    payload = Payload()
    ref = weakref.ref(payload)
    assert runner.submit(payload, None, 1).wait(10)
    del payload
    assert _wait_for(lambda: (gc.collect(), ref())[1] is None)
    runner.stop()


_PAGE_OUT = """
import json, mmap, sys
from pyfunc_scoring_server.process.file_pages import release_file_pages

path = sys.argv[1]
with open(path, "rb") as f:  # a file no other process maps, read page by page
    mapped = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
checksum = sum(mapped[i] for i in range(0, len(mapped), 4096))

def resident_kb():
    inside = False
    for line in open("/proc/self/smaps"):
        if not line[0].isupper():
            inside = line.rstrip().endswith(path)
        elif inside and line.startswith("Rss:"):
            return int(line.split()[1])

before = resident_kb()
advised = release_file_pages()
after = resident_kb()
again = sum(mapped[i] for i in range(0, len(mapped), 4096))  # faults back in from the file
print(json.dumps({"before": before, "after": after, "advised": advised, "same": again == checksum}))
"""


def test_paging_out_drops_file_pages_only_this_process_maps(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    data = tmp_path / "library.bin"
    with open(data, "wb") as f:  # 8 MiB, on disk (clean pages, like a library's)
        f.write(bytes(range(256)) * (8 * 4096))
        f.flush()
        os.fsync(f.fileno())
    out = subprocess.run(
        [sys.executable, "-c", _PAGE_OUT, str(data)], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(out.stdout)
    if result["advised"] == 0:
        pytest.skip("this kernel has no MADV_PAGEOUT (Linux < 5.4)")
    assert result["before"] >= 8 * 1024 - 64
    assert result["after"] < result["before"] / 4
    assert result["same"]  # nothing lost: the pages come back from the file


def test_malloc_arenas_can_be_capped() -> None:
    from pyfunc_scoring_server.process.heap import limit_malloc_arenas

    if not HeapTrimmer(lambda: True).available:
        pytest.skip("mallopt and malloc_trim are glibc's; this C library has neither")
    assert limit_malloc_arenas(8)  # (this test process keeps a generous cap)

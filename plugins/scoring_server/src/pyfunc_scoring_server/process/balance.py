"""Spreading connections evenly over the workers that share one listening socket.

Every worker's event loop polls the same listening socket and whichever wakes first accepts,
so a handful of keep-alive clients (a load balancer's connection pool, a benchmark's eight
connections) can all land on one worker while another idles: half the throughput on two
cores. Each worker publishes how many connections it holds in an array shared with its
siblings, and stops polling the socket while it holds more than ``SLACK`` (or an eighth, with
hundreds of connections) above the least loaded one. A worker always accepts while it is the least loaded, so some worker is always
accepting; the short loop timeout bounds how long a worker takes to notice its turn. A slot
stays vacant until its worker is ready (warmed up) and publishes its first count, so siblings
never hold back for a worker that is still loading. The first workers wait at a start gate until all of
them are ready, so the first ``/ping`` answered means every worker can take connections.

The same shared memory carries each worker's heartbeat (``time.monotonic_ns()`` of its event
loop's last turn), from which the supervisor tells a hung worker (see :mod:`.supervisor`).
"""

from __future__ import annotations

import mmap
import os
import time

TYPE_CHECKING = False  # not typing's (see .supervisor)
if TYPE_CHECKING:
    from typing import Callable

#: How many connections above the least loaded worker a worker may hold and still accept.
SLACK = 1
#: Poll timeout of a balanced worker's loop (waitress's default is 1 s).
LOOP_TIMEOUT = 0.05
#: What a vacant slot (a dead worker not yet replaced) counts as: never the least loaded.
_VACANT = 2**31 - 1


class ConnectionBalance:
    """The supervisor's shared array of open connections, one slot per worker.

    The array lives in a shared mapping of an unlinked file (:attr:`fd`), so forked workers
    share it and a supervisor that re-executes itself (see :mod:`.shed`) maps it again with
    :meth:`attach`."""

    def __init__(self, workers: int, fd: int | None = None) -> None:
        size = 12 * workers + 1  # heartbeats (int64 ns), counts (int32), the start gate (byte)
        fresh = fd is None
        if fd is None:
            fd = _anonymous_file()
            os.ftruncate(fd, size)
        self.fd = fd
        view = memoryview(mmap.mmap(fd, size))
        self._beats = view[: 8 * workers].cast("q")
        self._counts = view[8 * workers : 12 * workers].cast("i")
        self._gate = view[12 * workers :].cast("b")
        self._free = list(range(workers))
        if fresh:
            for index in self._free:
                self._counts[index] = _VACANT

    @classmethod
    def attach(cls, fd: int, workers: int, taken: list[int]) -> ConnectionBalance:
        """The balance of file descriptor ``fd``, with the slots in ``taken`` in use."""
        balance = cls(workers, fd)
        balance._free = [i for i in balance._free if i not in taken]
        return balance

    def open_gate(self) -> None:
        """Every first worker is ready: let them (and any later one) start accepting."""
        self._gate[0] = 1

    def take(self) -> WorkerSlot:
        """A slot for a worker about to be forked (vacant until the worker accepts)."""
        index = self._free.pop(0)
        self._counts[index] = _VACANT
        self._beats[index] = 0
        return self.slot(index)

    def slot(self, index: int) -> WorkerSlot:
        """The view of slot ``index``."""
        return WorkerSlot(self._counts, self._beats, self._gate, index)

    def release(self, slot: WorkerSlot) -> None:
        """The worker holding ``slot`` is gone."""
        self._counts[slot.index] = _VACANT
        self._free.append(slot.index)

    def last_beat(self, slot: WorkerSlot) -> float:
        """``time.monotonic()`` of the slot's last heartbeat (0.0: none yet)."""
        return self._beats[slot.index] / 1e9


class WorkerSlot:
    """One worker's view: publish its own count, decide whether to accept."""

    def __init__(self, counts: memoryview, beats: memoryview, gate: memoryview, index: int) -> None:
        self._counts = counts
        self._beats = beats
        self._gate = gate
        self.index = index

    def wait_for_gate(self, give_up: Callable[[], bool]) -> None:
        """Block until the supervisor opens the start gate, or ``give_up()`` is true."""
        while not self._gate[0] and not give_up():
            time.sleep(0.01)

    def beat(self) -> None:
        self._beats[self.index] = time.monotonic_ns()

    def may_accept(self, open_connections: int) -> bool:
        counts = self._counts
        counts[self.index] = open_connections
        least = min(counts)
        # one ahead with a few connections; an eighth ahead with hundreds (a flood is accepted in
        # bursts, not one connection per loop turn and worker)
        return open_connections <= least + max(SLACK, least >> 3)


def _anonymous_file() -> int:
    """A descriptor of a file that has no name (memfd on Linux, an unlinked temporary file elsewhere)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("pyfunc-connection-balance", os.MFD_CLOEXEC)
    import tempfile

    with tempfile.TemporaryFile() as f:
        return os.dup(f.fileno())

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

The same shared memory carries each worker's heartbeat (``time.monotonic()`` of its event
loop's last turn), from which the supervisor tells a hung worker (see :mod:`.workers`).
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Callable

#: How many connections above the least loaded worker a worker may hold and still accept.
SLACK = 1
#: Poll timeout of a balanced worker's loop (waitress's default is 1 s).
LOOP_TIMEOUT = 0.05
#: What a vacant slot (a dead worker not yet replaced) counts as: never the least loaded.
_VACANT = 2**31 - 1


class ConnectionBalance:
    """The supervisor's shared array of open connections, one slot per worker."""

    def __init__(self, workers: int) -> None:
        self._counts = multiprocessing.RawArray("i", [_VACANT] * workers)
        self._beats = multiprocessing.RawArray("d", workers)
        self._gate = multiprocessing.RawValue("b", 0)
        self._free = list(range(workers))

    def open_gate(self) -> None:
        """Every first worker is ready: let them (and any later one) start accepting."""
        self._gate.value = 1

    def take(self) -> WorkerSlot:
        """A slot for a worker about to be forked (vacant until the worker accepts)."""
        index = self._free.pop(0)
        self._counts[index] = _VACANT
        self._beats[index] = 0.0
        return WorkerSlot(self._counts, self._beats, self._gate, index)

    def release(self, slot: WorkerSlot) -> None:
        """The worker holding ``slot`` is gone."""
        self._counts[slot.index] = _VACANT
        self._free.append(slot.index)

    def last_beat(self, slot: WorkerSlot) -> float:
        """``time.monotonic()`` of the slot's last heartbeat (0.0: none yet)."""
        return float(self._beats[slot.index])


class WorkerSlot:
    """One worker's view: publish its own count, decide whether to accept."""

    def __init__(self, counts: object, beats: object, gate: object, index: int) -> None:
        self._counts = counts
        self._beats = beats
        self._gate = gate
        self.index = index

    def wait_for_gate(self, give_up: Callable[[], bool]) -> None:
        """Block until the supervisor opens the start gate, or ``give_up()`` is true."""
        while not self._gate.value and not give_up():  # type: ignore[attr-defined]
            time.sleep(0.01)

    def beat(self) -> None:
        self._beats[self.index] = time.monotonic()  # type: ignore[index]

    def may_accept(self, open_connections: int) -> bool:
        counts = self._counts
        counts[self.index] = open_connections  # type: ignore[index]
        least = min(counts)  # type: ignore[call-overload]
        # one ahead with a few connections; an eighth ahead with hundreds (a flood is accepted in
        # bursts, not one connection per loop turn and worker)
        return open_connections <= least + max(SLACK, least >> 3)

"""Spreading connections evenly over the workers that share one listening socket.

Every worker's event loop polls the same listening socket and whichever wakes first accepts,
so a handful of keep-alive clients (a load balancer's connection pool, a benchmark's eight
connections) can all land on one worker while another idles: half the throughput on two
cores. Each worker publishes how many connections it holds in an array shared with its
siblings, and stops polling the socket while it holds more than ``SLACK`` above the least
loaded one. A worker always accepts while it is the least loaded, so some worker is always
accepting; the short loop timeout bounds how long a worker takes to notice its turn.
"""

from __future__ import annotations

import multiprocessing

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
        self._free = list(range(workers))

    def take(self) -> WorkerSlot:
        """A slot for a worker about to be forked."""
        index = self._free.pop(0)
        self._counts[index] = 0
        return WorkerSlot(self._counts, index)

    def release(self, slot: WorkerSlot) -> None:
        """The worker holding ``slot`` is gone."""
        self._counts[slot.index] = _VACANT
        self._free.append(slot.index)


class WorkerSlot:
    """One worker's view: publish its own count, decide whether to accept."""

    def __init__(self, counts: object, index: int) -> None:
        self._counts = counts
        self.index = index

    def may_accept(self, open_connections: int) -> bool:
        counts = self._counts
        counts[self.index] = open_connections  # type: ignore[index]
        return open_connections <= min(counts) + SLACK  # type: ignore[call-overload]

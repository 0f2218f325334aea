"""Running predictions off the request thread: directly, or merged into adaptive batches.

Request threads hand prepared input to a runner and wait on a :class:`Slot` with the time
left before ``--timeout``; a prediction that overruns is abandoned (its answer is dropped)
and the request gets 504 while the server keeps serving. Every job carries its request's
deadline: a job whose deadline passed while it was queued is dropped before it starts (its
slot gets :class:`Expired`), and a request that gave up waiting takes its queued job out of
the backlog (:meth:`DirectRunner.abandon`), so abandoned requests never delay fresh ones.
Each runner keeps its recent predict calls' durations (their median is the typical one: a
rare slow request does not make every request look slow) and its live backlog, from which
:meth:`DirectRunner.estimate` tells how long a new job would wait to start (the basis of
load shedding in :mod:`.context`).

:class:`BatchRunner` merges concurrent requests whose inputs are compatible (same columns
and dtypes, or same trailing tensor shape, and equal params) into one ``predict`` call, up
to ``max_rows`` rows or ``max_wait`` seconds, and splits the result back by row counts. It
stops waiting early when no other request is on its way (so a lone client pays no wait). When
the merged call fails, or its output cannot be split, every member is retried alone so a bad
request fails by itself. It is the default runner for predictors that declare
``row_independent`` (``max_wait`` 0: only requests already queued are merged), and its single
thread is what keeps a worker at one predict call at a time.

A request that finds the batcher idle (nothing running, nothing queued), when the typical
call is short (:data:`INLINE_SECONDS`) and no wait for merging was asked for (``max_wait``
0, the default), runs its predict in its own thread instead: the two
thread hand-offs around a queued job cost ten times a 1-row linear model's predict (a third
of such a request's CPU). It holds the batcher while it runs, so the worker still
makes one predict call at a time and requests arriving meanwhile are merged after it. Such
a call cannot be abandoned at the deadline, which is why it is kept for predictors whose
typical call is a small fraction of any sensible timeout.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from time import perf_counter
from typing import Any, Callable

logger = logging.getLogger("pyfunc_scoring_server.batching")

Predict = Callable[[Any, Any], Any]

#: How many recent predict durations the typical duration is the median of.
_SAMPLES = 15
#: A request runs its predict in its own thread when the batcher is idle and the typical call
#: is at most this long (and a hundredth of the timeout at most). The two hand-offs it saves
#: cost ~60 µs of CPU; past this, merging the requests that queue behind a call saves more.
INLINE_SECONDS = 0.0005


class Expired(Exception):
    """The job's request was past its deadline before its prediction started."""


def _median(durations: deque[float]) -> float | None:
    ordered = sorted(durations)
    return ordered[len(ordered) // 2] if ordered else None


_QUEUED, _TAKEN, _ABANDONED = 0, 1, 2


class Slot:
    """A one-shot result box; ``wait`` is a bare lock acquire (the cheapest hand-off)."""

    __slots__ = ("_done", "error", "rows", "state", "value")

    def __init__(self, rows: int = 1) -> None:
        self._done = threading.Lock()
        self._done.acquire()
        self.value: Any = None
        self.error: BaseException | None = None
        self.rows = rows
        self.state = _QUEUED  # changed under the runner's lock only

    def set(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error = value, error
        self._done.release()

    def wait(self, timeout: float) -> bool:
        return self._done.acquire(timeout=max(timeout, 0.0))


class _Job:
    __slots__ = ("data", "deadline", "params", "rows", "slot")

    def __init__(self, data: Any, params: Any, rows: int, deadline: float) -> None:
        self.data, self.params, self.rows, self.deadline = data, params, rows, deadline
        self.slot = Slot(rows)


_NO_DEADLINE = float("inf")


class DirectRunner:
    """A pool of threads that each run one request's ``predict``."""

    def __init__(self, predict: Predict, threads: int, on_queue: Callable[[int], None] | None = None):
        self._predict = predict
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._on_queue = on_queue
        self._concurrency = threads
        self._pending = 0  # submitted and neither finished nor abandoned while queued
        self._pending_lock = threading.Lock()
        self._durations: deque[float] = deque(maxlen=_SAMPLES)
        self._since = [0.0] * threads  # per thread: perf_counter() when its predict started, or 0
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"predict-{i}", daemon=True)
            for i in range(threads)
        ]
        for t in self._threads:
            t.start()

    def arriving(self) -> None:
        """Batch runners use this; nothing to do here."""

    def left(self) -> None:
        """Batch runners use this; nothing to do here."""

    def submit(self, data: Any, params: Any, rows: int, deadline: float = _NO_DEADLINE) -> Slot:
        job = _Job(data, params, rows, deadline)
        with self._pending_lock:
            self._pending += 1
        self._queue.put(job)
        return job.slot

    def abandon(self, slot: Slot) -> None:
        """Its request stopped waiting: a job still queued no longer counts (and never runs)."""
        with self._pending_lock:
            if slot.state == _QUEUED:
                slot.state = _ABANDONED
                self._pending -= 1

    @property
    def predict_seconds(self) -> float | None:
        """The typical (median) recent predict duration; None before one finished."""
        return _median(self._durations)

    def estimate(self) -> tuple[float, float] | None:
        """(seconds before a job submitted now starts, seconds a predict takes); None: unknown.

        Before any predict finished, one is taken to last at least as long as the longest
        running one has run so far."""
        ahead = self._pending - self._concurrency + 1  # jobs that must start before it, past free threads
        longest = self.busy_for()
        per = self.predict_seconds or longest
        if ahead <= 0:
            return 0.0, per
        if not per:
            return None
        return max(0.0, per - longest) + (ahead - 1) // self._concurrency * per, per

    def busy_for(self) -> float:
        """Seconds the longest-running predict call has been running (0 when none runs)."""
        started = [t for t in self._since if t]
        return perf_counter() - min(started) if started else 0.0

    def _work(self, index: int) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._on_queue is not None:
                self._on_queue(self._queue.qsize())
            with self._pending_lock:
                abandoned = job.slot.state == _ABANDONED
                job.slot.state = _TAKEN
            if abandoned:  # already taken out of the count
                job = None
                continue
            started = perf_counter()
            if started >= job.deadline:
                job.slot.set(error=Expired())
            else:
                self._since[index] = started
                try:
                    job.slot.set(self._predict(job.data, job.params))
                except BaseException as exc:
                    job.slot.set(error=exc)
                self._since[index] = 0.0
                self._durations.append(perf_counter() - started)
            with self._pending_lock:
                self._pending -= 1
            job = None  # an idle thread must not keep the last request's data alive

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)


class BatchRunner:
    """One thread that merges queued requests into batched ``predict`` calls."""

    def __init__(
        self,
        predict: Predict,
        max_rows: int,
        max_wait: float,
        on_batch: Callable[[int, int], None] | None = None,
        inline_seconds: float = INLINE_SECONDS,
    ):
        self._predict = predict
        self._max_rows = max_rows
        self._max_wait = max_wait
        self._on_batch = on_batch
        self._inline_seconds = inline_seconds
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._arriving = 0
        self._queued_rows = 0  # rows submitted, not yet taken into a batch nor abandoned
        self._queued_jobs = 0  # the requests those rows belong to
        self._running = False
        self._since = 0.0  # perf_counter() when the running batch started, or 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # the batcher waits here for an inline call
        self._durations: deque[float] = deque(maxlen=_SAMPLES)
        self._typical: float | None = None  # median of _durations, kept current under _lock
        self._thread = threading.Thread(target=self._loop, name="batcher", daemon=True)
        self._thread.start()

    def arriving(self) -> None:
        """A request started decoding: the batcher may wait for it."""
        with self._lock:
            self._arriving += 1

    def left(self) -> None:
        """That request was submitted or failed before reaching the queue."""
        with self._lock:
            self._arriving -= 1

    def submit(self, data: Any, params: Any, rows: int, deadline: float = _NO_DEADLINE) -> Slot:
        """Queue a job; or, when the batcher is idle and calls are short, run it right here
        (the returned slot is then already set)."""
        job = _Job(data, params, rows, deadline)
        with self._lock:
            typical = self._typical
            inline = (
                self._max_wait <= 0  # a wait above 0 asks for merging: never skip the batcher
                and not self._running
                and not self._queued_jobs
                and rows <= self._max_rows
                and typical is not None
                and typical <= self._inline_seconds
                and deadline - perf_counter() > 100 * typical
            )
            if inline:
                self._running = True
                self._since = perf_counter()
            else:
                self._queued_rows += rows
                self._queued_jobs += 1
        if not inline:
            self._queue.put(job)
            return job.slot
        job.slot.state = _TAKEN
        started = self._since
        try:
            if self._on_batch is not None:
                self._on_batch(rows, 0)
            job.slot.set(self._predict(data, params))
        except BaseException as exc:
            job.slot.set(error=exc)
        finally:
            with self._lock:
                self._record(perf_counter() - started)
                self._running, self._since = False, 0.0
                self._idle.notify()
        return job.slot

    def abandon(self, slot: Slot) -> None:
        """Its request stopped waiting: a job still queued no longer counts (and never runs)."""
        with self._lock:
            if slot.state == _QUEUED:
                slot.state = _ABANDONED
                self._queued_rows -= slot.rows
                self._queued_jobs -= 1

    @property
    def predict_seconds(self) -> float | None:
        """The typical (median) recent batch duration; None before one finished."""
        return self._typical

    def _record(self, seconds: float) -> None:
        """A finished call's duration (under ``_lock``)."""
        self._durations.append(seconds)
        self._typical = _median(self._durations)

    def estimate(self) -> tuple[float, float] | None:
        """(seconds before a job submitted now starts, seconds a batch takes); None: unknown."""
        # A request is never split: one larger than max_rows is a batch of its own.
        full_batches = min(self._queued_jobs, self._queued_rows // self._max_rows)
        longest = self.busy_for()
        per = self.predict_seconds or longest
        if not self._running and not full_batches:
            return 0.0, per
        if not per:
            return None
        return (max(0.0, per - longest) if self._running else 0.0) + full_batches * per, per

    def busy_for(self) -> float:
        """Seconds the running batch has been running (0 when none runs)."""
        since = self._since
        return perf_counter() - since if since else 0.0

    def stop(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        carry: _Job | None = None
        while True:
            first = carry if carry is not None else self._queue.get()
            carry = None
            if first is None:
                return
            with self._lock:  # an inline call holds the predictor: merge what queues meanwhile
                while self._running:
                    self._idle.wait()
            batch, rows = [first], first.rows
            deadline = time.monotonic() + self._max_wait
            while rows < self._max_rows:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._arriving <= 0:
                        break
                    try:
                        job = self._queue.get(timeout=min(remaining, 0.0005))
                    except queue.Empty:
                        continue
                if job is None:
                    self._queue.put(None)
                    break
                if rows + job.rows > self._max_rows:
                    carry = job
                    break
                batch.append(job)
                rows += job.rows
            with self._lock:
                live = [j for j in batch if j.slot.state != _ABANDONED]
                for j in live:
                    j.slot.state = _TAKEN
                self._queued_rows -= sum(j.rows for j in live)
                self._queued_jobs -= len(live)
                self._running = True
            batch = live
            if self._on_batch is not None:
                self._on_batch(rows, self._queue.qsize())
            started = self._since = perf_counter()
            if batch:
                self._run(batch)
            with self._lock:
                if batch:
                    self._record(perf_counter() - started)
                self._running, self._since = False, 0.0
            first = job = None  # nothing of the last batch stays alive while idle
            batch = []

    def _run(self, batch: list[_Job]) -> None:
        if len(batch) == 1:  # the usual case below saturation: nothing to merge
            self._run_alone(batch[0])
            return
        groups: dict[Any, list[_Job]] = {}
        now = perf_counter()
        for job in batch:
            if now >= job.deadline:
                job.slot.set(error=Expired())
                continue
            key = merge_key(job.data, job.params)
            groups.setdefault(key if key is not None else id(job), []).append(job)
        for jobs in groups.values():
            if len(jobs) == 1:
                self._run_alone(jobs[0])
                continue
            try:
                merged = self._predict(merge([j.data for j in jobs]), jobs[0].params)
                parts = split(merged, [j.rows for j in jobs])
            except Exception as exc:
                logger.info("batched predict of %d requests failed (%s); retrying each alone", len(jobs), exc)
                parts = None
            if parts is None:
                for job in jobs:
                    self._run_alone(job)
            else:
                for job, part in zip(jobs, parts):
                    job.slot.set(part)

    def _run_alone(self, job: _Job) -> None:
        if perf_counter() >= job.deadline:  # a retry after a failed merge may come too late
            job.slot.set(error=Expired())
            return
        try:
            job.slot.set(self._predict(job.data, job.params))
        except BaseException as exc:
            job.slot.set(error=exc)


# -- merging and splitting ---------------------------------------------------------------


def count_rows(data: Any) -> int:
    """Rows in a prepared model input (1 for anything without a length)."""
    import numpy as np
    import pandas as pd

    if isinstance(data, (pd.DataFrame, pd.Series, list)):
        return len(data)
    if isinstance(data, np.ndarray):
        return int(data.shape[0]) if data.ndim else 1
    if isinstance(data, dict) and data:
        first = next(iter(data.values()))
        if isinstance(first, np.ndarray) and first.ndim:
            return int(first.shape[0])
    return 1


def merge_key(data: Any, params: Any) -> Any:
    """Inputs with equal keys can be concatenated into one batch; None means never merge."""
    import numpy as np
    import pandas as pd

    try:
        pkey = None if params is None else repr(sorted(params.items()))
    except TypeError:
        return None
    if isinstance(data, pd.DataFrame):
        blocks = getattr(getattr(data, "_mgr", None), "blocks", None)
        if blocks is not None and len(blocks) == 1 and isinstance(blocks[0].dtype, np.dtype):
            # One numpy block (the JSON codec's frames): its dtype is every column's, and the
            # labels of a cached Index are read once, not on every request.
            labels = _labels(data.columns)
            return ("df1", labels, blocks[0].dtype.str, pkey) if labels is not None else None
        if not data.columns.is_unique:
            return None
        return ("df", tuple(data.columns), tuple(str(d) for d in data.dtypes), pkey)
    if isinstance(data, np.ndarray) and data.ndim >= 1:
        return ("np", data.dtype.str, data.shape[1:], pkey)
    if isinstance(data, dict) and data and all(isinstance(v, np.ndarray) and v.ndim for v in data.values()):
        lengths = {v.shape[0] for v in data.values()}
        if len(lengths) != 1:
            return None
        return ("dict", tuple((k, v.dtype.str, v.shape[1:]) for k, v in data.items()), pkey)
    return None


#: id(Index) -> (the Index, its labels as a tuple, or None when not unique), for merge_key.
_label_cache: dict[int, tuple[Any, tuple[Any, ...] | None]] = {}


def _labels(columns: Any) -> tuple[Any, ...] | None:
    """The labels of a column Index as a tuple (None when not unique), kept per Index object."""
    entry = _label_cache.get(id(columns))
    if entry is not None and entry[0] is columns:
        return entry[1]
    labels = tuple(columns) if columns.is_unique else None
    if len(_label_cache) >= 256:
        _label_cache.clear()
    _label_cache[id(columns)] = (columns, labels)
    return labels


def merge(parts: list[Any]) -> Any:
    import numpy as np
    import pandas as pd

    first = parts[0]
    if isinstance(first, pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    return {k: np.concatenate([p[k] for p in parts]) for k in first}


def split(result: Any, sizes: list[int]) -> list[Any] | None:
    """Cut a merged prediction back into per-request pieces; None when it cannot be."""
    import numpy as np
    import pandas as pd

    total = sum(sizes)
    bounds = []
    start = 0
    for n in sizes:
        bounds.append((start, start + n))
        start += n
    if isinstance(result, (pd.DataFrame, pd.Series)):
        if len(result) != total:
            return None
        return [result.iloc[a:b] for a, b in bounds]
    if isinstance(result, np.ndarray):
        if result.ndim == 0 or result.shape[0] != total:
            return None
        return [result[a:b] for a, b in bounds]
    if isinstance(result, list):
        if len(result) != total:
            return None
        return [result[a:b] for a, b in bounds]
    if isinstance(result, dict) and result:
        values = list(result.values())
        if not all(isinstance(v, (np.ndarray, list)) and len(v) == total for v in values):
            return None
        return [{k: v[a:b] for k, v in result.items()} for a, b in bounds]
    return None

"""Scoring chunks in worker processes, in input order, with a bounded number in flight."""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterable, Iterator

from pyfunc_core.batch.chunk import Chunk, ChunkResult


def ordered_results(
    chunks: Iterable[Chunk],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    score: Callable[[Chunk], ChunkResult],
    max_in_flight: int | None = None,
) -> Iterator[ChunkResult]:
    """Results in the order of ``chunks``; at most ``max_in_flight`` chunks are held at once.

    Workers are spawned (not forked), so frameworks that dislike ``fork`` are safe, and
    each loads the model once through ``initializer``. Reading stops while the oldest
    chunk is still being scored, which keeps memory bounded whatever the input size.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    limit = max_in_flight or 2 * workers
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )
    pending: deque[Any] = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(score, chunk))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

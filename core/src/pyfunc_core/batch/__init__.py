"""Batch scoring of files larger than memory: read in chunks, score, write as they go.

``pyfunc-core predict`` is a thin CLI over :func:`run_batch`; the pieces are one concept
per module: readers per input format (:mod:`.csv_reader`, :mod:`.parquet_reader`), the
chunk parser that finds bad CSV rows (:mod:`.csv_parse`), the chunk scorer that runs in
each worker (:mod:`.scorer`), the ordered bounded worker pool (:mod:`.pool`), the output
formats (:mod:`.output`), the rejects file (:mod:`.rejects`) and the progress line
(:mod:`.progress`).
"""

from __future__ import annotations

from pyfunc_core.batch.options import BatchOptions, BatchSummary
from pyfunc_core.batch.runner import run_batch

__all__ = ["BatchOptions", "BatchSummary", "run_batch"]

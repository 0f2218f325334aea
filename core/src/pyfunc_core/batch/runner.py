"""One batch run: read chunks, score them (here or in workers), write results in order."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import IO, Any, Callable, Iterable, Iterator

from pyfunc_core.batch.chunk import Chunk, ChunkResult
from pyfunc_core.batch.options import CHUNKED_INPUT_FORMATS, OUTPUT_FORMATS, BatchOptions, BatchSummary
from pyfunc_core.batch.output import make_writer
from pyfunc_core.batch.progress import ProgressBar
from pyfunc_core.batch.rejects import RejectsWriter
from pyfunc_core.errors import InvalidInputError, InvalidParameterError


def run_batch(options: BatchOptions) -> BatchSummary:
    """Score ``options.input_path`` chunk by chunk and write predictions as they come.

    Memory stays bounded: at most ``2 * workers`` chunks are in flight. A record that
    fails to parse stops the run (its line number in the message) unless
    ``on_error="skip"``, which writes it to the rejects file and goes on. On failure a
    partly written output file is removed.
    """
    _validate(options)
    source_name = str(options.input_path) if options.input_path else "<stdin>"
    skip_bad = options.on_error == "skip"
    with contextlib.ExitStack() as stack:
        chunks, fraction = _open_reader(options, stack)
        results = _results(options, chunks, skip_bad, source_name)
        stack.callback(getattr(results, "close", lambda: None))
        out = _open_output(options, stack)
        rejects = None
        if skip_bad:
            rejects = RejectsWriter(options.rejects_path or options.default_rejects_path())
            stack.callback(rejects.close)
        writer = make_writer(options.output_format, out)
        progress = ProgressBar(fraction, options.progress)
        started = time.perf_counter()  # after the model loaded: rows/s is the scoring rate
        rows = 0
        for result in results:
            if result.error:
                raise InvalidInputError(result.error)
            if rejects is not None:
                rejects.write(result.rejects)
            writer.write(result.header, result.body)
            rows += result.rows
            progress.update(rows)
        writer.close()
        progress.finish(rows)
    return BatchSummary(
        rows=rows,
        rejected=rejects.count if rejects else 0,
        seconds=time.perf_counter() - started,
        rejects_path=rejects.path if rejects else None,
    )


def _validate(options: BatchOptions) -> None:
    if options.input_format not in CHUNKED_INPUT_FORMATS:
        raise InvalidParameterError(f"input format must be one of {CHUNKED_INPUT_FORMATS}")
    if options.output_format not in OUTPUT_FORMATS:
        raise InvalidParameterError(f"output format must be one of {OUTPUT_FORMATS}")
    if options.workers < 1:
        raise InvalidParameterError("--workers must be at least 1")
    if options.chunk_size < 1 and options.input_format == "csv":
        raise InvalidParameterError("--chunk-size must be at least 1 for chunked scoring")
    if options.input_format == "parquet" and options.input_path is None:
        raise InvalidParameterError("Parquet input must be a file (-i PATH), not stdin")


def _open_reader(
    options: BatchOptions, stack: contextlib.ExitStack
) -> tuple[Iterable[Chunk], Callable[[], float | None]]:
    if options.input_format == "parquet":
        from pyfunc_core.batch.parquet_reader import ParquetChunkReader

        assert options.input_path is not None
        parquet = ParquetChunkReader(options.input_path, options.chunk_size)
        return parquet, lambda: parquet.rows_read / parquet.total_rows if parquet.total_rows else None

    from pyfunc_core.batch.csv_reader import CsvChunkReader

    if options.input_path is None:
        return CsvChunkReader(sys.stdin.buffer, options.chunk_size), lambda: None
    source = stack.enter_context(open(options.input_path, "rb"))
    total = options.input_path.stat().st_size
    reader = CsvChunkReader(source, options.chunk_size)
    return reader, lambda: reader.bytes_read / total if total else None


def _open_output(options: BatchOptions, stack: contextlib.ExitStack) -> IO[bytes]:
    if options.output_path is None:
        stack.callback(sys.stdout.buffer.flush)
        return sys.stdout.buffer
    path = options.output_path
    out = open(path, "wb")

    def close(exc_type: Any, exc: Any, tb: Any) -> None:
        out.close()
        if exc_type is not None:  # a half-written output file would look like a result
            path.unlink(missing_ok=True)

    stack.push(close)
    return out


def _results(
    options: BatchOptions, chunks: Iterable[Chunk], skip_bad: bool, source: str
) -> Iterator[ChunkResult]:
    from pyfunc_core.batch import scorer

    args = (options.model_path, options.output_format, skip_bad, source)
    if options.workers == 1:
        from pyfunc_core.model.load import load_model

        local = scorer.ChunkScorer(load_model(options.model_path), *args[1:])
        return (local.score(chunk) for chunk in chunks)

    from pyfunc_core.batch.pool import ordered_results
    from pyfunc_core.model.mlmodel import ModelDirectory

    ModelDirectory.open(options.model_path)  # a missing model fails here, before workers start
    return ordered_results(
        chunks,
        workers=options.workers,
        initializer=scorer.init_worker,
        initargs=args,
        score=scorer.score_in_worker,
    )

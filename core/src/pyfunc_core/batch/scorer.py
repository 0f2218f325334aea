"""Scoring one chunk: parse, predict, encode. Runs in the main process or in a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyfunc_core.batch.chunk import Chunk, ChunkResult
from pyfunc_core.batch.csv_parse import RowParseError, parse_csv_chunk
from pyfunc_core.batch.output import encode_csv_rows, encode_json_rows
from pyfunc_core.errors import PyfuncError


class ChunkScorer:
    """A loaded model plus how to parse its input and encode its output."""

    def __init__(self, model: Any, output_format: str, skip_bad: bool, source_name: str):
        from pyfunc_core.codecs.csv_codec import csv_dtypes

        self._model = model
        self._output_format = output_format
        self._skip_bad = skip_bad
        self._source = source_name
        self._dtypes = csv_dtypes(model.metadata.get_input_schema())

    def score(self, chunk: Chunk) -> ChunkResult:
        """Never raises: failures come back as ``ChunkResult.error`` (one line, with the location)."""
        result = ChunkResult(index=chunk.index)
        try:
            frame = self._parse(chunk, result)
        except RowParseError as exc:
            result.error = (
                f"line {exc.reject.line} of {self._source} cannot be parsed: {exc.reject.error} "
                "(--on-error skip writes such rows to a rejects file and goes on)"
            )
            return result
        except Exception as exc:
            result.error = f"{self._where(chunk, None)} of {self._source} cannot be read: {_describe(exc)}"
            return result
        result.rows = len(frame)
        if not result.rows:
            return result
        try:
            predictions = self._model.predict(frame)
            if self._output_format == "csv":
                result.header, result.body = encode_csv_rows(predictions, result.rows)
            else:
                result.body = encode_json_rows(predictions, result.rows)
        except Exception as exc:
            where = self._where(chunk, result.rows + len(result.rejects))
            result.error = f"scoring {where} of {self._source} failed: {_describe(exc)}"
        return result

    def _parse(self, chunk: Chunk, result: ChunkResult) -> Any:
        if chunk.kind == "arrow":
            return chunk.payload.to_pandas()
        frame, result.rejects = parse_csv_chunk(
            chunk.header, chunk.payload, chunk.first, self._dtypes, skip_bad=self._skip_bad
        )
        return frame

    @staticmethod
    def _where(chunk: Chunk, count: int | None) -> str:
        if count is None:
            return f"the chunk starting at {chunk.unit} {chunk.first}"
        return f"{chunk.unit}s {chunk.first}-{chunk.first + max(count, 1) - 1}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PyfuncError):
        return str(exc)
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# -- worker-process side: one scorer per process, built once by the pool's initializer --

_worker_scorer: ChunkScorer | None = None
_worker_error: str | None = None


def init_worker(model_path: Path, output_format: str, skip_bad: bool, source_name: str) -> None:
    """Load the model once in this worker process."""
    global _worker_scorer, _worker_error
    from pyfunc_core.model.load import load_model

    try:
        _worker_scorer = ChunkScorer(load_model(model_path), output_format, skip_bad, source_name)
    except Exception as exc:
        _worker_error = f"a worker could not load the model: {_describe(exc)}"


def score_in_worker(chunk: Chunk) -> ChunkResult:
    if _worker_scorer is None:
        return ChunkResult(index=chunk.index, error=_worker_error or "the worker has no model loaded")
    return _worker_scorer.score(chunk)

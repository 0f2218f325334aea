"""Parsing one CSV chunk, and finding exactly which records broke it when it fails.

The whole chunk is parsed by pandas' C reader in one call. Only when that fails is the
chunk split into records and bisected, so a few bad rows among millions cost a handful of
extra parses, and every bad record is reported with its line number in the input.
"""

from __future__ import annotations

import io
import re
from typing import Any

from pyfunc_core.batch.chunk import Reject

_FIELDS = re.compile(r"Expected (\d+) fields in line \d+, saw (\d+)")


class RowParseError(Exception):
    """A record failed to parse (raised in ``stop`` mode)."""

    def __init__(self, reject: Reject):
        super().__init__(reject.error)
        self.reject = reject


def parse_csv_chunk(
    header: bytes, block: bytes, first_line: int, dtypes: dict[Any, Any] | None, *, skip_bad: bool
) -> tuple[Any, list[Reject]]:
    """The chunk as a DataFrame plus the records rejected (only when ``skip_bad``).

    Without ``skip_bad`` the first bad record raises :class:`RowParseError`.
    """
    try:
        return _read(header + block, dtypes), []
    except _PARSE_ERRORS:
        pass
    frames: list[Any] = []
    rejects: list[Reject] = []
    _bisect(header, _records(block, first_line), dtypes, frames, rejects, skip_bad)
    import pandas as pd

    if not frames:
        return _read(header, dtypes), rejects
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return frame, rejects


def _read(data: bytes, dtypes: dict[Any, Any] | None) -> Any:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(data), dtype=dtypes)
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas turns a first row with one field too many into an index instead of failing.
        raise ValueError(_field_counts(data, too_many=True) or "a row has more fields than the header")
    if frame.shape[1] and len(frame) and frame.iloc[:, -1].isna().any():
        # pandas fills a row with too few fields with NaN; a short row always leaves the last
        # column empty, so only chunks with a missing last value are checked record by record.
        short = _field_counts(data, too_many=False)
        if short:
            raise ValueError(short)
    return frame


def _field_counts(data: bytes, *, too_many: bool) -> str | None:
    """pandas' message for the first record with more (or fewer) fields than the header."""
    import csv

    rows = csv.reader(io.StringIO(data.decode("utf-8", "replace")))
    header = next(rows, [])
    for row in rows:
        if row and (len(row) > len(header) if too_many else len(row) < len(header)):
            return f"Expected {len(header)} fields in line 0, saw {len(row)}"
    return None


def _parse_errors() -> tuple[type[BaseException], ...]:
    # pandas' ParserError, EmptyDataError and UnicodeDecodeError are all ValueErrors.
    return (ValueError, TypeError, OverflowError)


_PARSE_ERRORS = _parse_errors()


def _records(block: bytes, first_line: int) -> list[tuple[int, bytes]]:
    """``(line number, raw record)`` pairs; quoted fields may span lines; blank lines dropped."""
    out: list[tuple[int, bytes]] = []
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    current: list[bytes] = []
    start = first_line
    quotes = 0
    for offset, line in enumerate(lines):
        if not current:
            start = first_line + offset
        current.append(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0:
            record = b"\n".join(current) + b"\n"
            if record.strip():
                out.append((start, record))
            current, quotes = [], 0
    if current:
        out.append((start, b"\n".join(current) + b"\n"))
    return out


def _bisect(
    header: bytes,
    records: list[tuple[int, bytes]],
    dtypes: dict[Any, Any] | None,
    frames: list[Any],
    rejects: list[Reject],
    skip_bad: bool,
) -> None:
    if not records:
        return
    try:
        frames.append(_read(header + b"".join(r for _, r in records), dtypes))
        return
    except _PARSE_ERRORS as exc:
        if len(records) == 1:
            line, raw = records[0]
            reject = Reject(
                line=line, error=_reason(exc), record=raw.decode("utf-8", "replace").rstrip("\r\n")
            )
            if not skip_bad:
                raise RowParseError(reject) from None
            rejects.append(reject)
            return
    middle = len(records) // 2
    _bisect(header, records[:middle], dtypes, frames, rejects, skip_bad)
    _bisect(header, records[middle:], dtypes, frames, rejects, skip_bad)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    fields = _FIELDS.search(first)
    if fields:
        return f"expected {fields.group(1)} fields, saw {fields.group(2)}"
    return first

"""The unit of work handed to a scorer, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Chunk:
    """A slice of the input, still unparsed so that workers do the parsing.

    ``kind`` is ``"csv"`` (``payload`` is the records' raw bytes, ``header`` the header
    record) or ``"arrow"`` (``payload`` is a ``pyarrow.RecordBatch``). ``first`` is the
    1-based line number of the first record (CSV) or row number (Parquet).
    """

    index: int
    kind: str
    first: int
    payload: Any
    header: bytes = b""

    @property
    def unit(self) -> str:
        return "line" if self.kind == "csv" else "row"


@dataclass
class Reject:
    """An input record that failed to parse: where it was, why, and its raw text."""

    line: int
    error: str
    record: str


@dataclass
class ChunkResult:
    """A scored chunk: encoded output, row count, rejected records, or an error message.

    Errors travel as plain text so that they cross process boundaries whatever the
    exception type was.
    """

    index: int
    rows: int = 0
    header: bytes = b""
    body: bytes = b""
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None

"""Cutting a CSV stream into chunks of whole records without parsing it."""

from __future__ import annotations

from itertools import islice
from typing import BinaryIO, Iterator

from pyfunc_core.batch.chunk import Chunk
from pyfunc_core.errors import InvalidInputError


class CsvChunkReader:
    """Yields :class:`Chunk` objects of ``chunk_size`` lines each (plus the header).

    A chunk never ends inside a quoted field: when a chunk holds an odd number of quote
    characters, lines are added until the quotes balance (RFC 4180 escapes a quote by
    doubling it, which keeps the count even). ``bytes_read`` feeds the progress bar.
    """

    def __init__(self, source: BinaryIO, chunk_size: int):
        self._source = source
        self._chunk_size = max(1, chunk_size)
        self.bytes_read = 0

    def _complete_record(self, lines: list[bytes]) -> None:
        """Append lines to ``lines`` until its quotes balance (or the input ends)."""
        quotes = sum(line.count(b'"') for line in lines)
        while quotes % 2:
            line = self._source.readline()
            if not line:
                return
            lines.append(line)
            quotes += line.count(b'"')

    def __iter__(self) -> Iterator[Chunk]:
        header_lines = list(islice(self._source, 1))
        if not header_lines or not header_lines[0].strip():
            raise InvalidInputError("The CSV input is empty: expected a header row")
        self._complete_record(header_lines)
        header = b"".join(header_lines)
        if not header.endswith(b"\n"):
            header += b"\n"
        self.bytes_read += len(header)
        line_number = 1 + len(header_lines)
        index = 0
        while True:
            lines = list(islice(self._source, self._chunk_size))
            if not lines:
                return
            block = b"".join(lines)
            if block.count(b'"') % 2:
                self._complete_record(lines)
                block = b"".join(lines)
            self.bytes_read += len(block)
            yield Chunk(index=index, kind="csv", first=line_number, payload=block, header=header)
            line_number += len(lines)
            index += 1

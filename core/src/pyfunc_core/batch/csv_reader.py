"""Cutting a CSV stream into chunks of whole records without parsing it."""

from __future__ import annotations

from itertools import islice
from typing import BinaryIO, Iterator

from pyfunc_core.batch.chunk import Chunk
from pyfunc_core.errors import InvalidInputError


class CsvChunkReader:
    """Yields :class:`Chunk` objects of about ``chunk_size`` lines each (plus the header).

    The first chunk is cut line by line and gives the average line length; later chunks
    are read as byte blocks of ``chunk_size`` such lines, cut at the last newline, so no
    Python object is made per line. A chunk never ends inside a quoted field: when it
    holds an odd number of quote characters, lines are added until the quotes balance
    (RFC 4180 escapes a quote by doubling it, which keeps the count even).
    ``bytes_read`` feeds the progress bar.
    """

    def __init__(self, source: BinaryIO, chunk_size: int):
        self._source = source
        self._chunk_size = max(1, chunk_size)
        self._carry = b""
        self.bytes_read = 0

    def _readline(self) -> bytes:
        """The next line, from what the last block read past its cut, then from the source."""
        if self._carry:
            end = self._carry.find(b"\n")
            if end >= 0:
                line, self._carry = self._carry[: end + 1], self._carry[end + 1 :]
                return line
            line, self._carry = self._carry, b""
            return line + self._source.readline()
        return self._source.readline()

    def _balance_quotes(self, block: bytes) -> bytes:
        """``block`` extended line by line until its quotes balance (or the input ends)."""
        quotes = block.count(b'"')
        while quotes % 2:
            line = self._readline()
            if not line:
                break
            block += line
            quotes += line.count(b'"')
        return block

    def _first_block(self) -> bytes:
        return b"".join(islice(self._source, self._chunk_size))

    def _next_block(self, size: int) -> bytes:
        data = self._carry + self._source.read(max(size - len(self._carry), 1))
        self._carry = b""
        if not data:
            return b""
        cut = data.rfind(b"\n")
        if cut < 0 or cut < len(data) - 1:
            if cut < 0:  # one very long line: finish it
                return data + self._source.readline()
            data, self._carry = data[: cut + 1], data[cut + 1 :]
        return data

    def __iter__(self) -> Iterator[Chunk]:
        header = self._balance_quotes(self._source.readline())
        if not header.strip():
            raise InvalidInputError("The CSV input is empty: expected a header row")
        line_number = 1 + header.count(b"\n") + (not header.endswith(b"\n"))
        if not header.endswith(b"\n"):
            header += b"\n"
        self.bytes_read += len(header)
        block = self._first_block()
        lines = block.count(b"\n") or 1
        block_size = max(1, len(block) // lines) * self._chunk_size
        index = 0
        while block:
            block = self._balance_quotes(block)
            self.bytes_read += len(block)
            yield Chunk(index=index, kind="csv", first=line_number, payload=block, header=header)
            line_number += block.count(b"\n") + (not block.endswith(b"\n"))
            index += 1
            block = self._next_block(block_size)

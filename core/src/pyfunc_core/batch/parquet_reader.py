"""Reading a Parquet file batch by batch (row groups are never loaded whole)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from pyfunc_core.batch.chunk import Chunk
from pyfunc_core.errors import InvalidInputError


class ParquetChunkReader:
    """Yields :class:`Chunk` objects holding ``pyarrow.RecordBatch`` es of ``chunk_size`` rows."""

    def __init__(self, path: Path, chunk_size: int):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InvalidInputError("Parquet input needs pyarrow: pip install pyarrow") from None
        try:
            self._file = pq.ParquetFile(str(path))
        except FileNotFoundError:
            raise
        except Exception as exc:  # pyarrow raises several unrelated types for bad files
            raise InvalidInputError(f"Cannot read '{path}' as a Parquet file: {exc}") from None
        self.total_rows = self._file.metadata.num_rows
        self._chunk_size = chunk_size if chunk_size > 0 else max(1, self.total_rows)
        self.rows_read = 0

    def __iter__(self) -> Iterator[Chunk]:
        for index, batch in enumerate(self._file.iter_batches(batch_size=self._chunk_size)):
            first = self.rows_read + 1
            self.rows_read += batch.num_rows
            yield Chunk(index=index, kind="arrow", first=first, payload=batch)

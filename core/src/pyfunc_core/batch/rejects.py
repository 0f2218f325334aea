"""The rejects file: one JSON object per input record that failed to parse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from pyfunc_core.batch.chunk import Reject


class RejectsWriter:
    """Writes ``{"line": N, "error": "...", "record": "<raw text>"}`` lines (JSON Lines)."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self._file = open(path, "w", encoding="utf-8")

    def write(self, rejects: Iterable[Reject]) -> None:
        for reject in rejects:
            record = {"line": reject.line, "error": reject.error, "record": reject.record}
            self._file.write(json.dumps(record) + "\n")
            self.count += 1

    def close(self) -> None:
        self._file.close()

"""What a batch run is asked to do, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Input formats read in chunks; ``json`` (MLflow's request body) is scored in one go.
CHUNKED_INPUT_FORMATS = ("csv", "parquet")
OUTPUT_FORMATS = ("json", "csv")
ON_ERROR = ("stop", "skip")


@dataclass
class BatchOptions:
    """Options of one batch run (``None`` paths mean stdin / stdout)."""

    model_path: Path
    input_path: Path | None = None
    output_path: Path | None = None
    input_format: str = "csv"
    output_format: str = "json"
    chunk_size: int = 100_000
    workers: int = 1
    on_error: str = "stop"
    rejects_path: Path | None = None
    progress: bool = False

    def default_rejects_path(self) -> Path:
        """``<output>.rejects.jsonl`` beside the output (or the input when writing stdout)."""
        beside = self.output_path or self.input_path
        if beside is None:
            return Path("rejects.jsonl")
        return beside.parent / f"{beside.stem}.rejects.jsonl"


@dataclass
class BatchSummary:
    """Counts of a finished run."""

    rows: int
    rejected: int
    seconds: float
    rejects_path: Path | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(self.seconds, 1e-9)

    def line(self) -> str:
        text = f"scored {self.rows:,} rows in {self.seconds:.2f}s ({self.rows_per_second:,.0f} rows/s)"
        if self.rejects_path is not None:
            text += f"; skipped {self.rejected:,} rows that failed to parse (written to {self.rejects_path})"
        return text

"""Output formats: predictions encoded per chunk, framed so the file equals a one-shot run."""

from __future__ import annotations

from typing import IO, Any

from pyfunc_core.errors import InvalidInputError


def encode_json_rows(predictions: Any, rows: int) -> bytes:
    """The chunk's items of MLflow's ``{"predictions": [...]}`` list, without brackets."""
    from pyfunc_core.codecs.encode import dumps, to_jsonable

    jsonable = to_jsonable(predictions)
    if not isinstance(jsonable, list) or len(jsonable) != rows:
        raise InvalidInputError(
            "This model's predictions are not one per input row, so the input cannot be "
            "scored in chunks: use --chunk-size 0"
        )
    return dumps(jsonable)[1:-1] if jsonable else b""


def encode_csv_rows(predictions: Any, rows: int) -> tuple[bytes, bytes]:
    """``(header line, rows)`` of the predictions as CSV, one line per input row."""
    frame = predictions_frame(predictions)
    if len(frame) != rows:
        raise InvalidInputError(
            f"The model returned {len(frame)} predictions for {rows} rows, so they cannot be "
            "written one per input row: use --output-format json"
        )
    header = frame.iloc[:0].to_csv(index=False).encode("utf-8")
    body = frame.to_csv(index=False, header=False).encode("utf-8") if rows else b""
    return header, body


def predictions_frame(predictions: Any) -> Any:
    """Predictions as a DataFrame: a ``prediction`` column, ``prediction_<i>`` columns, or the model's own."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame(name=predictions.name if predictions.name is not None else "prediction")
    if isinstance(predictions, list) and predictions and all(isinstance(p, dict) for p in predictions):
        return pd.DataFrame(predictions)
    array = np.asarray(predictions) if not isinstance(predictions, np.ndarray) else predictions
    if array.ndim == 1:
        return pd.DataFrame({"prediction": array})
    if array.ndim == 2:
        return pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])
    raise InvalidInputError(
        f"Predictions of shape {array.shape} cannot be written as CSV rows: use --output-format json"
    )


class JsonPredictionsWriter:
    """Writes ``{"predictions": [`` ... ``]}`` around the chunks' items."""

    def __init__(self, out: IO[bytes]):
        self._out = out
        self._first = True
        self._started = False

    def _start(self) -> None:
        # Deferred, so that a run failing in its first chunk writes nothing to stdout.
        if not self._started:
            self._out.write(b'{"predictions": [')
            self._started = True

    def write(self, header: bytes, body: bytes) -> None:
        self._start()
        if body:
            self._out.write(body if self._first else b", " + body)
            self._first = False

    def close(self) -> None:
        self._start()
        self._out.write(b"]}\n")


class CsvPredictionsWriter:
    """Writes the header of the first chunk, then every chunk's rows."""

    def __init__(self, out: IO[bytes]):
        self._out = out
        self._header_written = False

    def write(self, header: bytes, body: bytes) -> None:
        if not self._header_written and header.strip():
            self._out.write(header)
            self._header_written = True
        self._out.write(body)

    def close(self) -> None:
        return None


def make_writer(output_format: str, out: IO[bytes]) -> JsonPredictionsWriter | CsvPredictionsWriter:
    return JsonPredictionsWriter(out) if output_format == "json" else CsvPredictionsWriter(out)

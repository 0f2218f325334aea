"""``text/csv``: a CSV body with a header row, parsed to a DataFrame (as MLflow does)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from pyfunc_core.codecs.base import Codec, ModelRequest
from pyfunc_core.errors import InvalidInputError, clip

if TYPE_CHECKING:
    from pyfunc_core.schema.types import ParamSchema, Schema


def csv_dtypes(schema: Schema | None) -> dict[Any, Any] | None:
    """Per-column dtypes for ``pandas.read_csv`` from a column schema."""
    if schema is None or schema.is_tensor_spec or not schema.has_input_names:
        return None
    out = {}
    for spec in schema.inputs:
        t = spec.type.value  # type: ignore[union-attr]
        if t in ("string", "binary"):
            out[spec.name] = object
        elif t == "datetime":
            continue
        else:
            out[spec.name] = spec.type.to_numpy()  # type: ignore[union-attr]
    return out


class CsvCodec(Codec):
    name = "csv"
    content_types = ("text/csv",)

    def decode(
        self,
        body: bytes,
        *,
        schema: Schema | None = None,
        params_schema: ParamSchema | None = None,
        content_params: dict[str, str] | None = None,
    ) -> ModelRequest:
        short = short_row(body)
        if short is not None:
            line, fields, width = short
            raise InvalidInputError(
                "Failed to parse input as a Pandas DataFrame: CSV line "
                f"{line} has {fields} fields, the header has {width}"
            )
        return ModelRequest(read_csv(io.BytesIO(body), schema), None)


def short_row(body: bytes) -> tuple[int, int, int] | None:
    """(line, fields, header fields) of the first row with fewer fields than the header.

    pandas pads such a row with NaN, which a model then reports as missing values; a row with
    too many fields is refused by pandas itself. Blank lines are skipped, as pandas does.
    """
    if b'"' in body:  # quoted fields may hold commas and newlines: let the csv module split
        import csv

        rows = csv.reader(io.StringIO(body.decode("utf-8", "replace"), newline=""))
        width = None
        for row in rows:
            if width is None:
                width = len(row)
            elif row and len(row) < width:
                return rows.line_num, len(row), width
        return None
    lines = body.split(b"\n")
    counts = list(map(bytes.count, lines, [b","] * len(lines)))
    width = counts[0]
    if len(counts) < 2 or min(counts[1:]) >= width:
        return None
    for number, (line, count) in enumerate(zip(lines, counts), 1):
        if number > 1 and count < width and line.strip(b"\r"):
            return number, count + 1, width + 1
    return None


def read_csv(source: Any, schema: Schema | None, **kwargs: Any) -> Any:
    """``pandas.read_csv`` with the schema's dtypes and MLflow's error message."""
    import pandas as pd

    try:
        return pd.read_csv(source, dtype=csv_dtypes(schema), **kwargs)
    except (
        ValueError,
        TypeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
    ) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
            "CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` "
            f"method. Error: '{clip(first)}'"
        ) from None

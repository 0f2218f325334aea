"""``text/csv``: a CSV body with a header row, parsed to a DataFrame (as MLflow does)."""

from __future__ import annotations

import io
from itertools import repeat
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
        t = spec.type.value
        if t in ("string", "binary"):
            out[spec.name] = object
        elif t == "datetime":
            continue
        else:
            out[spec.name] = spec.type.to_numpy()
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
        ragged = ragged_row(body)
        if ragged is not None:
            line, fields, width = ragged
            raise InvalidInputError(
                "Failed to parse input as a Pandas DataFrame: CSV line "
                f"{line} has {fields} fields, the header has {width}"
            )
        return ModelRequest(read_csv(io.BytesIO(body), schema), None)


def ragged_row(body: bytes) -> tuple[int, int, int] | None:
    """(line, fields, header fields) of a row pandas would take without a word.

    That is a row with fewer fields than the header (pandas pads it with NaN, which a model
    then reports as missing values), or, when every row has one field more than the header,
    the first row (pandas silently makes the first column the index). Other long rows are
    refused by pandas itself. Blank lines are skipped, as pandas does.
    """
    if b'"' in body:  # quoted fields may hold commas and newlines: let the csv module split
        import csv

        rows = csv.reader(io.StringIO(body.decode("utf-8", "replace"), newline=""))
        try:
            counts = [(rows.line_num, len(row)) for row in rows if row]
        except csv.Error:  # (a NUL byte, before Python 3.11): pandas words the parse error
            return None
    else:
        lines = body.rstrip(b"\r\n").split(b"\n")
        commas = list(map(bytes.count, lines, repeat(b",", len(lines))))
        if len(commas) < 2 or min(commas[1:]) == max(commas[1:]) == commas[0]:
            return None  # every row as wide as the header: the usual body, checked at C speed
        counts = [(n, c + 1) for n, (line, c) in enumerate(zip(lines, commas), 1) if line.strip(b"\r")]
    if len(counts) < 2:
        return None
    width = counts[0][1]
    for line, fields in counts[1:]:
        if fields < width:
            return line, fields, width
    if all(fields == width + 1 for _, fields in counts[1:]):
        return counts[1][0], counts[1][1], width
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

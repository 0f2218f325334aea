"""``text/csv``: a CSV body with a header row, parsed to a DataFrame (as MLflow does)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from pyfunc_core.codecs.base import Codec, ModelRequest
from pyfunc_core.errors import InvalidInputError

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
        return ModelRequest(read_csv(io.BytesIO(body), schema), None)


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
            f"method. Error: '{first}'"
        ) from None

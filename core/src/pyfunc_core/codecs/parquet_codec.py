"""``application/vnd.apache.parquet``: a Parquet file as the body (needs pyarrow)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pyfunc_core.codecs.base import Codec, ModelRequest
from pyfunc_core.errors import InvalidInputError, UnsupportedContentTypeError, clip

if TYPE_CHECKING:
    from pyfunc_core.schema.types import ParamSchema, Schema


class ParquetCodec(Codec):
    name = "parquet"
    content_types = ("application/vnd.apache.parquet", "application/x-parquet")
    parameters = ()

    def decode(
        self,
        body: bytes,
        *,
        schema: Schema | None = None,
        params_schema: ParamSchema | None = None,
        content_params: dict[str, str] | None = None,
    ) -> ModelRequest:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise UnsupportedContentTypeError(
                "Parquet input needs pyarrow installed where the model is served: pip install pyarrow"
            ) from None
        try:
            table = pq.read_table(io.BytesIO(body))
        except Exception as exc:  # pyarrow raises several unrelated types for bad files
            raise InvalidInputError(f"Failed to read the body as a Parquet file: {clip(str(exc))}") from None
        return ModelRequest(table.to_pandas(), None)

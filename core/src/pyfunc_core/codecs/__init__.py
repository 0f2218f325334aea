"""Request decoding and prediction encoding; the only place request bodies are parsed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core._lazy import lazy_exports

if TYPE_CHECKING:
    from pyfunc_core.codecs.base import Codec, ModelRequest, column_indexes, input_error, parse_content_type
    from pyfunc_core.codecs.encode import dumps, predictions_to_json
    from pyfunc_core.codecs.json_codec import parse_json
    from pyfunc_core.registry import CodecRegistry
    from pyfunc_core.schema.types import ParamSchema, Schema

_SOURCES = {
    "base": ("Codec", "ModelRequest", "column_indexes", "input_error", "parse_content_type"),
    "encode": ("dumps", "predictions_to_json"),
    "json_codec": ("parse_json",),
}

__all__ = [
    "Codec",
    "ModelRequest",
    "column_indexes",
    "decode_request",
    "dumps",
    "find_codec",
    "input_error",
    "parse_content_type",
    "parse_json",
    "predictions_to_json",
]

__getattr__, __dir__ = lazy_exports(__name__, _SOURCES)


def find_codec(registry: CodecRegistry, content_type: str | None) -> tuple[Codec, dict[str, str]]:
    """The codec for a ``Content-Type`` header, with its parameters checked (415 otherwise)."""
    from pyfunc_core.codecs.base import parse_content_type
    from pyfunc_core.errors import UnsupportedContentTypeError, quote

    mime, params = parse_content_type(content_type)
    codec = registry.for_content_type(mime)
    if codec is None:
        supported = sorted({ct for c in registry for ct in c.content_types})
        raise UnsupportedContentTypeError(
            f"This predictor only supports the following content types: {supported}. "
            f"Got {quote(content_type or '')}."
        )
    codec.check_parameters(params)
    return codec, params


def decode_request(
    registry: CodecRegistry,
    content_type: str | None,
    body: bytes,
    schema: Schema | None = None,
    params_schema: ParamSchema | None = None,
) -> tuple[Codec, ModelRequest]:
    """Decode ``body`` with the codec registered for ``content_type``."""
    codec, params = find_codec(registry, content_type)
    return codec, codec.decode(body, schema=schema, params_schema=params_schema, content_params=params)

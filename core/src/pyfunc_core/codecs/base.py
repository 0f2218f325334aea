"""The codec contract: request bodies in, predictions out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyfunc_core.errors import UnsupportedContentTypeError

if TYPE_CHECKING:
    from pyfunc_core.schema.types import ParamSchema, Schema


@dataclass
class ModelRequest:
    """A decoded request: the model input and the inference params (if any)."""

    data: Any
    params: dict[str, Any] | None = None


class Codec(ABC):
    """Decodes request bodies of some content types and encodes predictions.

    ``content_types`` are lower-case MIME types without parameters. ``parameters`` are
    the content-type parameters the codec accepts; any other parameter is answered with
    415, as MLflow does (``charset`` must be ``utf-8`` when given).
    """

    name: str = ""
    content_types: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ("charset",)
    response_content_type: str = "application/json"

    @abstractmethod
    def decode(
        self,
        body: bytes,
        *,
        schema: Schema | None = None,
        params_schema: ParamSchema | None = None,
        content_params: dict[str, str] | None = None,
    ) -> ModelRequest:
        """Turn ``body`` into a :class:`ModelRequest`; raise ``InvalidInputError`` if malformed."""

    def encode(self, predictions: Any) -> bytes:
        """MLflow's ``{"predictions": ...}`` JSON; override for another response format."""
        from pyfunc_core.codecs.encode import predictions_to_json

        return predictions_to_json(predictions)

    def check_parameters(self, content_params: dict[str, str]) -> None:
        unknown = sorted(set(content_params) - set(self.parameters))
        if unknown:
            raise UnsupportedContentTypeError(f"Unrecognized content type parameters: {', '.join(unknown)}.")
        charset = content_params.get("charset")
        if charset is not None and charset.lower() != "utf-8":
            raise UnsupportedContentTypeError("The scoring server only supports UTF-8")


def parse_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """``"application/json; charset=UTF-8"`` -> ``("application/json", {"charset": "UTF-8"})``."""
    if not header:
        return "", {}
    mime, _, rest = header.partition(";")
    params = {}
    for part in rest.split(";"):
        key, sep, value = part.strip().partition("=")
        if key:
            params[key.strip().lower()] = value.strip().strip('"') if sep else ""
    return mime.strip().lower(), params

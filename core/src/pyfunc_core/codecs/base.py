"""The codec contract: request bodies in, predictions out."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from pyfunc_core.errors import InvalidInputError, PyfuncError, UnsupportedContentTypeError, clip

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
            raise UnsupportedContentTypeError(
                f"Unrecognized content type parameters: {clip(', '.join(unknown))}."
            )
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


def input_error(exc: BaseException) -> PyfuncError:
    """A failure while decoding a request or applying the signature to it, as the client's error.

    Decoders raise ``InvalidInputError`` for what they foresee; anything else raised before
    the model runs (a parser's ``RuntimeError``, pandas' ``ValueError``, a ``RecursionError``
    on deep nesting) was still caused by the request, so it is a 400 too, never a 500.
    """
    if isinstance(exc, PyfuncError):
        return exc
    text = str(exc).strip().splitlines()
    detail = f": {clip(text[0])}" if text else ""
    return InvalidInputError(f"Invalid input: {type(exc).__name__}{detail}")


class ColumnIndexCache:
    """pandas ``Index`` objects for column lists, bounded in bytes as well as in entries.

    Building an Index costs more than the rest of decoding a 1-row request, so the ones of
    the few column lists a server sees are kept; but the names come from clients, so a list
    whose names are long is never kept, and the whole cache stays under ``max_chars``.
    """

    def __init__(self, max_entries: int = 256, max_key_chars: int = 4096, max_chars: int = 256 * 1024):
        self._entries: dict[tuple[Any, ...], Any] = {}
        self._chars: dict[tuple[Any, ...], int] = {}
        self._total = 0
        self.max_entries, self.max_key_chars, self.max_chars = max_entries, max_key_chars, max_chars
        self._lock = threading.Lock()

    def get(self, columns: Sequence[Any]) -> Any:
        """The cached Index for ``columns`` (a fresh one when it should not be kept); TypeError
        when a label is unhashable."""
        import pandas as pd

        key = tuple(columns)
        found = self._entries.get(key)  # TypeError for unhashable labels: the caller's to word
        if found is not None:
            return found
        index = pd.Index(list(columns))
        chars = len(key) * 8 + sum(len(c) if isinstance(c, str) else 8 for c in key)
        if chars <= self.max_key_chars:
            with self._lock:
                while self._entries and (
                    len(self._entries) >= self.max_entries or self._total + chars > self.max_chars
                ):
                    oldest = next(iter(self._entries))
                    del self._entries[oldest]
                    self._total -= self._chars.pop(oldest)
                if key not in self._entries:
                    self._entries[key] = index
                    self._chars[key] = chars
                    self._total += chars
        return index

    def __len__(self) -> int:
        return len(self._entries)


#: The column indexes of every codec in this process.
column_indexes = ColumnIndexCache()

"""gzip on the wire: ``Content-Encoding: gzip`` request bodies, and large answers gzipped for
clients that send ``Accept-Encoding: gzip``.

A request body is inflated before any route reads it, never beyond ``--max-body-size`` (a
small body that inflates past it is a 413, as a large plain one is).
"""

from __future__ import annotations

import io
import zlib
from typing import Any

#: Answers smaller than this are sent as they are (gzip would save little and cost a call).
MIN_SIZE = 1024
_LEVEL = 1  # fast: the answers are numbers, most of the gain comes at any level


class BodyError(Exception):
    """A request body that cannot be decoded: ``status`` (400, 413, 415) and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def inflate_request(environ: dict[str, Any], limit: int) -> None:
    """Replace a gzip request body by its inflated bytes (``wsgi.input``, ``CONTENT_LENGTH``).

    Raises :class:`BodyError`; does nothing for a body without ``Content-Encoding``."""
    encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if not encoding or encoding == "identity":
        return
    if encoding not in ("gzip", "x-gzip"):
        raise BodyError(415, f"Unsupported Content-Encoding {encoding[:40]!r} (gzip and identity are)")
    from pyfunc_scoring_server.http.request import read_body
    from pyfunc_scoring_server.http.responses import too_large

    body = read_body(environ, limit)
    if body is None:
        raise BodyError(413, too_large(limit))
    inflater = zlib.decompressobj(wbits=31)  # gzip framing only
    try:
        data = inflater.decompress(body, limit + 1)
        if len(data) <= limit and not inflater.unconsumed_tail:
            data += inflater.flush()
    except zlib.error as exc:
        raise BodyError(400, f"The request body is not valid gzip: {exc}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise BodyError(413, too_large(limit) + " once gzip-decoded")
    if not inflater.eof:
        raise BodyError(400, "The request body is not valid gzip: it ends early")
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    del environ["HTTP_CONTENT_ENCODING"]


def accepts_gzip(environ: dict[str, Any]) -> bool:
    """Whether ``Accept-Encoding`` lists gzip with a non-zero weight."""
    header = environ.get("HTTP_ACCEPT_ENCODING")
    if not header or "gzip" not in header:
        return False
    for item in header.split(","):
        token, _, weight = item.strip().partition(";")
        if token.strip().lower() in ("gzip", "x-gzip"):
            weight = weight.strip().replace(" ", "")
            return not (weight.startswith("q=") and _is_zero(weight[2:]))
    return False


def _is_zero(text: str) -> bool:
    try:
        return float(text) == 0.0
    except ValueError:
        return False


def compress(body: bytes) -> bytes:
    """``body`` gzipped (level 1)."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()

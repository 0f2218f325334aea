"""What a route handler gets of one HTTP request (see :mod:`.routes`)."""

from __future__ import annotations

from typing import Any


class Request:
    """One request: method, path, the route's path parameters, and the WSGI environ.

    ``started`` is when it had arrived (deadlines count from it, waitress's queue included);
    ``rid`` its request id. Headers and the body stream stay in ``environ`` (read once with
    :meth:`body`).
    """

    __slots__ = ("environ", "method", "params", "path", "rid", "started")

    def __init__(
        self,
        method: str,
        path: str,
        environ: dict[str, Any],
        started: float,
        rid: str,
        params: dict[str, str] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.environ = environ
        self.started = started
        self.rid = rid
        self.params: dict[str, str] = params if params is not None else {}

    @property
    def content_type(self) -> str | None:
        return self.environ.get("CONTENT_TYPE")

    def header(self, name: str) -> str | None:
        """A request header by its HTTP name (``Inference-Header-Content-Length``)."""
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))

    def body(self, limit: int) -> bytes | None:
        """The whole body, or None when it is larger than ``limit`` bytes."""
        return read_body(self.environ, limit)


def read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit``."""
    length = environ.get("CONTENT_LENGTH")
    try:
        size = int(length) if length else -1
    except ValueError:
        size = -1
    if size > limit:
        return None
    stream = environ["wsgi.input"]
    body = stream.read(size) if size >= 0 else stream.read(limit + 1)
    return None if len(body) > limit else body

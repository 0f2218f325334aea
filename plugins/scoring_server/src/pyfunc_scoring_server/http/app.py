"""The WSGI application: routing, request ids, metrics and the access log around every route.

Routes come from the route table (:mod:`.routes`). Fixed paths are looked up in a dict (the
hot path); other paths under ``/v2`` go through a werkzeug ``Map`` of the table's V2 routes,
which also tells a wrong method (405) from an unknown path (404).
"""

from __future__ import annotations

from time import perf_counter
from typing import Any, Callable, Iterable

from pyfunc_core.errors import quote
from pyfunc_scoring_server.http.access_log import AccessLog
from pyfunc_scoring_server.http.gzip_body import MIN_SIZE, BodyError, accepts_gzip, compress, inflate_request
from pyfunc_scoring_server.http.request import Request
from pyfunc_scoring_server.http.responses import STATUS_LINES, Reply, mlflow_error, request_id, v2_error
from pyfunc_scoring_server.http.routes import ROUTES, Route
from pyfunc_scoring_server.http.transport import ARRIVED
from pyfunc_scoring_server.protocols.streaming import ChunkStream, StreamReply
from pyfunc_scoring_server.scoring.context import ServingContext, internal_error

V2_PREFIX = "/v2"


class ScoringApp:
    """The WSGI callable of one worker."""

    def __init__(
        self, ctx: ServingContext, access_log: AccessLog, routes: tuple[Route, ...] = ROUTES
    ) -> None:
        self.ctx = ctx
        self.access_log = access_log
        self._fixed: dict[str, dict[str, Route]] = {}
        for route in routes:
            if route.fixed:
                self._fixed.setdefault(route.path, {})[route.method] = route
        self._v2_routes = [r for r in routes if r.path == V2_PREFIX or r.path.startswith(V2_PREFIX + "/")]
        self._v2_map: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = environ.get(ARRIVED) or perf_counter()  # deadlines count queued time too
        ctx = self.ctx
        rid = request_id(environ)
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        length = environ.get("CONTENT_LENGTH")
        ctx.enter(int(length) if length and length.isdigit() else 0)
        try:
            reply, endpoint = self._dispatch(environ, method, path, started, rid)
        except Exception as exc:  # a bug of ours, never the client's fault
            reply, endpoint = internal_error(exc, ctx.debug), "error"
        finally:
            ctx.leave()
        if isinstance(reply, StreamReply):
            return self._stream(reply, start_response, environ, method, path, endpoint, started, rid)
        body = reply.body
        headers = [("Content-Type", reply.content_type), ("X-Request-ID", rid), *reply.headers]
        if len(body) >= MIN_SIZE:
            headers.append(("Vary", "Accept-Encoding"))
            if accepts_gzip(environ):
                body = compress(body)
                headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(STATUS_LINES[reply.status], headers)
        elapsed = perf_counter() - started
        ctx.metrics.observe_request(endpoint, reply.status, elapsed)
        self.access_log.log(environ.get("REMOTE_ADDR", "-"), method, path[:200], reply.status, len(body),
                   elapsed * 1000.0, rid)  # fmt: skip
        # HEAD: the GET answer's headers (its Content-Length included), without the body
        return [] if method == "HEAD" else [body]

    def _stream(
        self,
        reply: StreamReply,
        start_response: Callable[..., Any],
        environ: dict[str, Any],
        method: str,
        path: str,
        endpoint: str,
        started: float,
        rid: str,
    ) -> Iterable[bytes]:
        """Start an SSE response; it is logged and counted when it ends (see :mod:`.streaming`)."""
        start_response(
            STATUS_LINES[reply.status],
            [("Content-Type", reply.content_type), ("X-Request-ID", rid), *reply.headers],
        )
        remote = environ.get("REMOTE_ADDR", "-")

        def done(stream: ChunkStream) -> None:
            elapsed = perf_counter() - started
            self.ctx.metrics.observe_request(endpoint, reply.status, elapsed)
            self.access_log.log(remote, method, path[:200], reply.status, stream.bytes, elapsed * 1000.0, rid)

        reply.chunks.on_close = done
        return reply.chunks  # fmt: skip

    def transport_error(
        self, addr: Any, method: str | None, path: str | None, status: int, size: int, rid: str
    ) -> None:
        """Account for a request that waitress refused before the application saw it."""
        remote = addr[0] if isinstance(addr, tuple) and addr else "-"
        self.ctx.metrics.observe_request("transport", status, 0.0)
        self.access_log.log(remote, method or "-", (path or "-")[:200], status, size, 0.0, rid)

    def _dispatch(
        self, environ: dict[str, Any], method: str, path: str, started: float, rid: str
    ) -> tuple[Reply, str]:
        if "HTTP_CONTENT_ENCODING" in environ:
            try:
                inflate_request(environ, self.ctx.max_body)
            except BodyError as exc:
                is_v2 = path.startswith(V2_PREFIX)
                reply = v2_error(exc.status, str(exc)) if is_v2 else mlflow_error(exc.status, str(exc))
                return reply, "encoding"
        methods = self._fixed.get(path)
        if methods is not None:
            asked = "GET" if method == "HEAD" else method  # HEAD: the GET answer, its body left out
            route = methods.get(asked)
            if route is not None:
                return route.handler(self.ctx, Request(method, path, environ, started, rid)), route.label
            allowed = ", ".join(methods)
            message = f"Method {quote(asked)} is not allowed on {quote(path)}; use {allowed}"
            if path.startswith(V2_PREFIX):
                return Reply(405, v2_error(405, message).body, headers=[("Allow", allowed)]), "unknown"
            return Reply(405, mlflow_error(405, message).body, headers=[("Allow", allowed)]), path
        if path == V2_PREFIX or path.startswith(V2_PREFIX + "/"):
            return self._v2(environ, method, path, started, rid)
        return mlflow_error(404, f"No route {quote(path)}: see /openapi.json for the endpoints"), "unknown"

    def _v2(
        self, environ: dict[str, Any], method: str, path: str, started: float, rid: str
    ) -> tuple[Reply, str]:
        from werkzeug.exceptions import MethodNotAllowed, NotFound

        if self._v2_map is None:  # built on first use: werkzeug's import is not free at start-up
            from werkzeug.routing import Map, Rule

            rules = [
                Rule(r.path.replace("{", "<").replace("}", ">"), endpoint=i, methods=[r.method])
                for i, r in enumerate(self._v2_routes)
            ]
            self._v2_map = Map(rules, strict_slashes=False)
        adapter = self._v2_map.bind("localhost", path_info=path)
        try:
            endpoint, args = adapter.match(path, method=method)
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            reply = v2_error(405, f"Method {quote(method)} is not allowed on {quote(path)}; use {allowed}")
            reply.headers.append(("Allow", allowed))
            return reply, "unknown"
        except NotFound:
            return v2_error(404, f"No V2 route {quote(path)}"), "unknown"
        except Exception:  # werkzeug redirects (trailing slashes) and the like
            return v2_error(404, f"No V2 route {quote(path)}"), "unknown"
        route = self._v2_routes[endpoint]
        return route.handler(self.ctx, Request(method, path, environ, started, rid, args)), route.label

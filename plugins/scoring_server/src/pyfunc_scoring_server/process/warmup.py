"""A worker's warm-up before it says ready: every route once, and a predict on the input example.

Routes import some modules on first use (werkzeug for the V2 routes, the OpenAPI builder, the
multiprocess metrics collector) and a model's first predict often loads more (lazy imports,
caches). Done by the first burst of requests from many threads at once, that races Python's
import machinery (``partially initialized module`` errors) and makes the first answers slow.
So a worker sends one request per route through its own WSGI application, in-process and
from one thread, before it reports ready. These requests are kept out of the access log and
the request metrics; a failed warm-up predict is logged and never stops the worker.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyfunc_scoring_server.http.app import ScoringApp

logger = logging.getLogger("pyfunc_scoring_server")


class _Null:
    """Swallows any metric call while the warm-up runs."""

    def __getattr__(self, name: str) -> _Null:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Null:
        return self


def serving_example(model_path: Path, info: dict[str, Any] | None) -> bytes | None:
    """The model's saved ``/invocations`` example body (``serving_input_example.json``), if any."""
    name = (info or {}).get("serving_input_path")
    if not name:
        return None
    path = Path(model_path) / name
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def warm_up(app: ScoringApp, model_path: Path) -> None:
    """Call every route once in-process; predict on the input example when the model has one."""
    ctx = app.ctx
    started = perf_counter()
    name = ctx.name
    calls: list[tuple[str, str, bytes]] = [
        ("GET", path, b"")
        for path in ("/ping", "/version", "/openapi.json", "/v2", "/v2/health/ready", f"/v2/models/{name}")
    ]
    calls.append(("POST", f"/v2/models/{name}/infer", b'{"inputs": []}'))  # refused: loads the V2 path
    example = serving_example(model_path, ctx.model.metadata.saved_input_example_info)
    if example is not None:
        calls.append(("POST", "/invocations", example))
    metrics, access_enabled = ctx.metrics, app.access_log.enabled
    ctx.metrics, app.access_log.enabled = _Null(), False  # type: ignore[assignment]
    try:
        for method, path, body in calls:
            status, answer = _call(app, method, path, body)
            if path == "/invocations" and status != 200:
                logger.warning("warm-up predict on the input example failed (%d): %s", status,
                               answer[:300].decode("utf-8", "replace"))  # fmt: skip
        metrics.render()  # /metrics imports its collector on first use
    except Exception as exc:  # a warm-up must never stop the worker
        logger.warning("warm-up failed: %s: %s", type(exc).__name__, exc)
    finally:
        ctx.metrics, app.access_log.enabled = metrics, access_enabled
    logger.info(
        "worker warmed up in %.2fs (%s)",
        perf_counter() - started,
        "with a predict on the input example" if example is not None else "no input example to predict",
    )


def _call(app: ScoringApp, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_REQUEST_ID": "warm-up",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    status: list[str] = []
    chunks = app(environ, lambda line, headers, exc_info=None: status.append(line))
    return int(status[0].split()[0]), b"".join(chunks)

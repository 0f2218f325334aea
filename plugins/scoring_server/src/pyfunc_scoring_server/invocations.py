"""``POST /invocations``: MLflow's scoring protocol.

The body is decoded only by the core's codecs (by ``Content-Type``), the signature applied
per request, the prediction run through the worker's runner (possibly batched), and the
answer written as MLflow writes it (``{"predictions": ...}``).
"""

from __future__ import annotations

from typing import Any

from pyfunc_core.codecs import ModelRequest, decode_request, predictions_to_json
from pyfunc_core.errors import PyfuncError
from pyfunc_scoring_server.context import ServingContext, internal_error
from pyfunc_scoring_server.responses import Reply, mlflow_error, mlflow_error_from, too_large


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


def invocations(ctx: ServingContext, environ: dict[str, Any], started: float) -> Reply:
    body = read_body(environ, ctx.max_body)
    if body is None:
        return mlflow_error(413, too_large(ctx.max_body))

    def decode() -> ModelRequest:
        return decode_request(
            ctx.codecs, environ.get("CONTENT_TYPE"), body, ctx.input_schema, ctx.params_schema
        )[1]

    try:
        _, predictions = ctx.predict(decode, started)
    except PyfuncError as exc:
        return mlflow_error_from(exc, ctx.debug)
    try:
        return Reply(200, predictions_to_json(predictions))
    except Exception as exc:
        return internal_error(exc, ctx.debug)

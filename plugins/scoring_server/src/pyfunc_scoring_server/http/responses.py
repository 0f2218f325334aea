"""Response building blocks: status lines, JSON bodies, error bodies, request ids.

A handler returns a :class:`Reply`; the application adds ``Content-Length`` and
``X-Request-ID`` and writes it in one piece.
"""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from random import getrandbits
from typing import Any

import orjson

from pyfunc_core.errors import PyfuncError

JSON = "application/json"

STATUS_LINES: dict[int, str] = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}

#: MLflow-style error codes for the statuses that have no code in ``pyfunc_core.errors``.
STATUS_ERROR_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    404: "RESOURCE_DOES_NOT_EXIST",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

MAX_MESSAGE = 1000
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


@dataclass
class Reply:
    """A complete response: status code, body bytes and extra headers."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(obj: Any, status: int = 200) -> Reply:
    """``obj`` as JSON (numpy arrays and scalars included)."""
    return Reply(status, orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY))


def too_large(limit: int) -> str:
    """The 413 message, whether waitress or the route refuses the body."""
    return f"The request body is larger than the {limit} bytes this server accepts (--max-body-size)"


def clip(message: str) -> str:
    """Error messages stay short: never the whole request echoed back."""
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "... (truncated)"


def mlflow_error(status: int, message: str, error_code: str | None = None, stack: str | None = None) -> Reply:
    """MLflow's error body ``{"error_code", "message"}`` (``stack_trace`` only with --debug)."""
    body: dict[str, Any] = {
        "error_code": error_code or STATUS_ERROR_CODES.get(status, "INTERNAL_ERROR"),
        "message": clip(message),
    }
    if stack:
        body["stack_trace"] = stack
    return Reply(status, _mlflow_json(body))


def mlflow_error_from(exc: PyfuncError, debug: bool = False) -> Reply:
    body = exc.to_dict()
    body["message"] = clip(str(body.get("message", "")))
    if debug:
        body["stack_trace"] = stack_of(exc)
    return Reply(exc.http_status, _mlflow_json(body), headers=retry_after(exc))


def retry_after(exc: PyfuncError) -> list[tuple[str, str]]:
    """``Retry-After`` for an error that says when to retry (a shed request's 503)."""
    seconds = getattr(exc, "retry_after", None)
    return [("Retry-After", str(seconds))] if seconds else []


def _mlflow_json(body: dict[str, Any]) -> bytes:
    """MLflow serializes errors with ``json.dumps`` defaults; same bytes here (a cold path)."""
    return json.dumps(body).encode("utf-8")


def v2_error(status: int, message: str, stack: str | None = None) -> Reply:
    """The Open Inference Protocol's error body ``{"error": ...}``."""
    body: dict[str, Any] = {"error": clip(message)}
    if stack:
        body["stack_trace"] = stack
    return Reply(status, orjson.dumps(body))


def stack_of(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def request_id(environ: dict[str, Any]) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a fresh random one."""
    given = environ.get("HTTP_X_REQUEST_ID")
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return f"{getrandbits(64):016x}"

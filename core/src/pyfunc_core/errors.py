"""Exceptions shared by the core and plugins.

Every error that can reach a user carries an MLflow error code, so the server can answer
with MLflow's error JSON (``{"error_code": ..., "message": ...}``) and the right status.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HTTP_STATUS",
    "EnvironmentBuildError",
    "InvalidInputError",
    "InvalidParameterError",
    "MissingFlavorError",
    "ModelLoadError",
    "PluginError",
    "PredictionError",
    "PyfuncError",
    "UnsupportedContentTypeError",
    "clip",
    "quote",
]

#: MLflow error code -> HTTP status, as MLflow's REST layer maps them.
HTTP_STATUS: dict[str, int] = {
    "BAD_REQUEST": 400,
    "INVALID_PARAMETER_VALUE": 400,
    "MALFORMED_REQUEST": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class PyfuncError(Exception):
    """Base class of every pyfunc-core error; ``str(err)`` is a one-line message."""

    error_code: str = "INTERNAL_ERROR"

    def __init__(self, message: str, *, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.error_code, 500)

    def to_dict(self) -> dict[str, Any]:
        """MLflow's error body."""
        return {"error_code": self.error_code, "message": self.message}


class InvalidInputError(PyfuncError):
    """The request body or model input is malformed or does not match the signature."""

    error_code = "BAD_REQUEST"


class InvalidParameterError(PyfuncError):
    """A parameter (inference param, option, argument) has a wrong value."""

    error_code = "INVALID_PARAMETER_VALUE"


class UnsupportedContentTypeError(PyfuncError):
    """No codec decodes the request's content type (or one of its parameters)."""

    error_code = "UNSUPPORTED_MEDIA_TYPE"


class ModelLoadError(PyfuncError):
    """A model directory is missing, malformed, or cannot be loaded."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class MissingFlavorError(ModelLoadError):
    """No installed plugin provides the flavor a model needs."""

    def __init__(self, message: str, *, distribution: str) -> None:
        super().__init__(message)
        self.distribution = distribution


class PluginError(PyfuncError):
    """A plugin is broken, refused, or registered something invalid."""


class EnvironmentBuildError(PyfuncError):
    """An environment manager could not prepare or run an environment."""


class PredictionError(PyfuncError):
    """The model raised while predicting."""

    error_code = "BAD_REQUEST"


#: The most of anything a client sent that an error message repeats (bytes of UTF-8).
MAX_QUOTED = 200


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (loaders' texts can span lines), or ``(no message)``."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


def clip(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8 (marked with ``...``): client text in a message."""
    if len(text) <= limit // 4:  # four bytes per character at most: short enough as is
        return text
    head = text[: limit + 1].encode("utf-8", "replace")
    if len(head) <= limit:
        return text
    return head[: limit - 3].decode("utf-8", "ignore") + "..."


def quote(value: Any, limit: int = MAX_QUOTED) -> str:
    """A bounded ``repr`` of a client's value (a name, a list of keys, a param value).

    Built piecewise (``reprlib``), so quoting a huge list or string costs no more than
    the few hundred bytes it keeps.
    """
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = limit
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 12
    short.maxlevel = 3
    return clip(short.repr(value), limit)

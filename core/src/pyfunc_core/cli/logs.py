"""Logging for the ``pyfunc-core`` command: ``PYFUNC_CORE_LOG_LEVEL`` sets the level."""

from __future__ import annotations

import logging
import os

from pyfunc_core.errors import InvalidParameterError

LOG_LEVEL_ENV = "PYFUNC_CORE_LOG_LEVEL"
DEFAULT_LEVEL = logging.WARNING
_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def requested_level() -> int | None:
    """The level ``PYFUNC_CORE_LOG_LEVEL`` names (``info``, ``ERROR``, ``20``), None when unset."""
    value = os.environ.get(LOG_LEVEL_ENV, "").strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    if value.upper() in _NAMES:
        return int(logging.getLevelName(value.upper()))
    raise InvalidParameterError(
        f"{LOG_LEVEL_ENV}={value!r} is not a log level: use one of {', '.join(_NAMES)}"
    )


def configure_logging() -> None:
    """Log to stderr at the requested level (default WARNING).

    A server plugin gives its own logger a level when it starts (the scoring server: INFO),
    which the root level does not override. A level asked for explicitly is therefore also
    made the process-wide floor (``logging.disable``), which holds for every logger, in this
    process and in the workers it forks.
    """
    level = requested_level()
    logging.basicConfig(
        level=DEFAULT_LEVEL if level is None else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level is not None and level > logging.NOTSET:
        logging.disable(level - 1)

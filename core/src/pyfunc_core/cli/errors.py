"""Turning pyfunc-core errors into one-line CLI failures."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import Any, Callable, TypeVar

import click

from pyfunc_core.errors import PyfuncError

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(fn: F) -> F:
    """Print ``Error: <message>`` and exit 1 instead of a traceback (``PYFUNC_CORE_DEBUG=1`` keeps it)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (PyfuncError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
                NotADirectoryError) as exc:  # fmt: skip
            if os.environ.get("PYFUNC_CORE_DEBUG") == "1":
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except click.exceptions.ClickException:
            raise
        except Exception as exc:  # the model's own code raised: still one line, never a traceback
            if os.environ.get("PYFUNC_CORE_DEBUG") == "1":
                traceback.print_exc()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            click.echo(
                f"Error: {type(exc).__name__}: {first} (PYFUNC_CORE_DEBUG=1 shows the traceback)", err=True
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]

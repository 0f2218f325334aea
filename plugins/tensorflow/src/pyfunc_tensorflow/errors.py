"""TensorFlow's errors on bad input, turned into one-line pyfunc errors (HTTP 400)."""

from __future__ import annotations

import contextlib
from typing import Iterator

from pyfunc_core.errors import InvalidInputError, PyfuncError


@contextlib.contextmanager
def input_errors(what: str) -> Iterator[None]:
    """Report the model rejecting its input as :class:`InvalidInputError`, first line only.

    Keras and TensorFlow raise ``ValueError``/``TypeError`` (and TensorFlow's
    ``InvalidArgumentError``, a ``ValueError`` subclass in eager mode) for inputs of the
    wrong shape or dtype; those are the caller's fault, not the server's.
    """
    try:
        yield
    except PyfuncError:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"{what} rejected the input: {_first_line(exc)}") from exc
    except Exception as exc:
        if type(exc).__name__ == "InvalidArgumentError":
            raise InvalidInputError(f"{what} rejected the input: {_first_line(exc)}") from exc
        raise


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__

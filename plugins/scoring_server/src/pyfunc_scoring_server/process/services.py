"""Worker services: servers of other plugins running beside HTTP in each worker process.

A plugin distribution adds one under the entry point group ``pyfunc_scoring_server.services``
(``grpc = "pyfunc_grpc.service:SERVICE"``): an object with

- ``options``: a sequence of :class:`pyfunc_core.registry.ServerOption` (``--grpc-port``),
  offered by ``pyfunc-core serve`` and parsed into ``ServeOptions.extra``;
- ``start(ctx)``: called in each worker once the model is loaded, before the worker reports
  ready, with the worker's :class:`~pyfunc_scoring_server.scoring.context.ServingContext` (model,
  runner and its batching queue, limits, metrics); returns None when not enabled by its
  options, else a handle whose ``stop(grace)`` the worker calls when it starts draining (it
  must not block: refuse new calls, give running ones ``grace`` seconds), and whose optional
  ``wait(timeout)`` it calls once HTTP has drained, before the process exits.

Calls a service runs through ``ctx.enter()``/``ctx.leave()`` count as in flight, so the
worker's drain waits for them as for HTTP requests.

The module named by the entry point is imported at every start-up: keep it light.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyfunc_scoring_server.scoring.context import ServingContext

GROUP = "pyfunc_scoring_server.services"
logger = logging.getLogger("pyfunc_scoring_server")


@lru_cache(maxsize=1)
def installed() -> tuple[Any, ...]:
    """The installed services (a broken one is logged and skipped)."""
    from pyfunc_core.plugins import metadata  # the stdlib's, or its backport before 3.10

    found = []
    for entry in metadata.entry_points(group=GROUP):
        try:
            found.append(entry.load())
        except Exception as exc:  # another distribution's fault: serve without it
            logger.warning("ignoring worker service %r: %s: %s", entry.name, type(exc).__name__, exc)
    return tuple(found)


def server_options() -> tuple[Any, ...]:
    """Every installed service's ``serve`` options."""
    return tuple(option for service in installed() for option in getattr(service, "options", ()))


def start_services(ctx: ServingContext) -> list[Any]:
    """Start each enabled service for this worker; their handles."""
    return [handle for service in installed() if (handle := service.start(ctx)) is not None]


def stop_services(handles: list[Any], grace: float) -> None:
    """Ask each service to stop (called from the drain signal handler: never blocks)."""
    for handle in handles:
        try:
            handle.stop(grace)
        except Exception as exc:
            logger.warning("a worker service failed to stop: %s: %s", type(exc).__name__, exc)


def wait_services(handles: list[Any], timeout: float) -> None:
    """Wait, ``timeout`` seconds at most in all, for stopping services to finish their last answers."""
    deadline = time.monotonic() + timeout
    for handle in handles:
        wait = getattr(handle, "wait", None)
        if wait is not None:
            wait(max(deadline - time.monotonic(), 0.0))

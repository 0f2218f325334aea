"""``/ping``, ``/health`` and ``/version``, as MLflow's scoring server answers them."""

from __future__ import annotations

from pyfunc_core import __version__ as core_version
from pyfunc_scoring_server.http.request import Request
from pyfunc_scoring_server.http.responses import Reply, mlflow_error
from pyfunc_scoring_server.scoring.context import ServingContext

_OK = Reply(200, b"\n")


def ping(ctx: ServingContext, req: Request) -> Reply:
    """200 once the model is loaded (503 before, and while draining for shutdown)."""
    if not ctx.draining:
        return _OK
    return mlflow_error(503, "The model is not ready")


def version(ctx: ServingContext, req: Request) -> Reply:
    """The pyfunc-core version, as plain text (MLflow answers its own version)."""
    return Reply(200, core_version.encode("ascii"), "text/plain; charset=utf-8")

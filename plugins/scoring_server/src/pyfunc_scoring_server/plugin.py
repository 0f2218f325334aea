"""Entry point: registers the ``scoring-server`` server. Imported at every start-up, so cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import Server

if TYPE_CHECKING:
    from pyfunc_core.registry import ServeOptions, ServerRegistry

SERVER_NAME = "scoring-server"


def _serve(options: ServeOptions) -> int:
    from pyfunc_scoring_server.options import ScoringOptions
    from pyfunc_scoring_server.process.server import serve

    return serve(ScoringOptions.of(options))


@hookimpl
def register_servers(registry: ServerRegistry) -> None:
    from pyfunc_scoring_server.options import OPTIONS
    from pyfunc_scoring_server.process.services import server_options

    registry.add(
        Server(
            name=SERVER_NAME,
            serve=_serve,
            description="waitress WSGI server: MLflow /invocations, Open Inference Protocol V2, metrics",
            options=(*OPTIONS, *server_options()),
        )
    )

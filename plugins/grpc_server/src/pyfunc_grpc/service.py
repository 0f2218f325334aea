"""The scoring server's worker service (entry point ``pyfunc_scoring_server.services``).

Imported at every start-up, so it imports nothing heavy: grpc loads only when
``--grpc-port`` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyfunc_core.registry import ServerOption

if TYPE_CHECKING:
    from pyfunc_scoring_server.scoring.context import ServingContext


class GrpcService:
    """Starts the V2 gRPC server in a worker when ``--grpc-port`` is set."""

    options = (
        ServerOption(
            "--grpc-port",
            int,
            None,
            "Also serve the Open Inference Protocol over gRPC on this port (every worker shares it).",
        ),
    )

    def start(self, ctx: ServingContext) -> Any:
        port = ctx.options.extra.get("grpc_port")
        if not port:
            return None
        from pyfunc_grpc.server import start_grpc

        return start_grpc(ctx, ctx.options.host, int(port))


SERVICE = GrpcService()

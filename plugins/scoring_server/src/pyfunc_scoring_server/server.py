"""``serve(options)``: what ``pyfunc-core serve`` runs when this plugin is the server."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyfunc_core.registry import ServeOptions

logger = logging.getLogger("pyfunc_scoring_server")


def configure_logging() -> None:
    """Server messages go to stderr, one line each (the access log writes there too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    root = logging.getLogger("pyfunc_scoring_server")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    # waitress warns about its task queue under any real load; that is what queues are for
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def serve(options: ServeOptions) -> int:
    """Bind, load the model (in each worker), serve until SIGTERM; the exit code."""
    from pyfunc_scoring_server.transport import bind_socket
    from pyfunc_scoring_server.workers import Supervisor, run_worker

    configure_logging()
    sock = bind_socket(options.host, options.port)
    logger.info("listening on http://%s:%d", options.host, options.port)
    if options.workers <= 1:
        try:
            return run_worker(options, sock)
        finally:
            sock.close()
    from pyfunc_scoring_server.metrics import MULTIPROC_ENV

    own_dir = None
    if not os.environ.get(MULTIPROC_ENV):
        own_dir = tempfile.mkdtemp(prefix="pyfunc-metrics-")
        os.environ[MULTIPROC_ENV] = own_dir
    try:
        return Supervisor(options, sock).run()
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)

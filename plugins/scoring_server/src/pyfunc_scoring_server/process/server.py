"""``serve(options)``: what ``pyfunc-core serve`` runs when this plugin is the server."""

from __future__ import annotations

import logging
import os
import signal
import sys

TYPE_CHECKING = False  # not typing's (see .supervisor)

if TYPE_CHECKING:
    import socket

    from pyfunc_scoring_server.options import ScoringOptions

logger = logging.getLogger("pyfunc_scoring_server")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def configure_logging() -> None:
    """Server messages go to stderr, one line each (the access log writes there too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    root = logging.getLogger("pyfunc_scoring_server")
    root.handlers[:] = [handler]
    # INFO unless PYFUNC_CORE_LOG_LEVEL asked for a level: the CLI gave it to the root logger
    asked = os.environ.get("PYFUNC_CORE_LOG_LEVEL", "").strip()
    root.setLevel(logging.getLogger().getEffectiveLevel() if asked else logging.INFO)
    root.propagate = False
    # waitress warns about its task queue under any real load; that is what queues are for
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def raise_open_files_limit(wanted: int = 65536) -> None:
    """Lift the soft open-files limit towards the hard one (connections are files)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def serve(options: ScoringOptions) -> int:
    """Bind, load the model (once before forking, or in each worker), serve until SIGTERM."""
    from pyfunc_scoring_server.http.transport import bind_socket
    from pyfunc_scoring_server.process.heap import limit_malloc_arenas

    configure_logging()
    limit_malloc_arenas()  # before any thread exists; forked workers inherit it
    raise_open_files_limit()  # room for the per-worker connection cap (transport.MAX_CONNECTIONS)
    sock = bind_socket(options.host, options.port)
    # "listening on ..." is logged once the workers are ready (the socket queues until then)
    try:
        return _serve_on(options, sock)
    finally:
        ignore_stop_signals()


def ignore_stop_signals() -> None:
    """Served and drained: a repeated SIGTERM from now on must not kill the exiting process.

    Python restores the default action of signals it handled while the interpreter shuts
    down, so a second SIGTERM (a supervisor or test harness that sends it twice) would make
    the exit code -15 instead of 0. Ignored signals stay ignored through shutdown.
    """
    for s in _STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)


def _serve_on(options: ScoringOptions, sock: socket.socket) -> int:
    from pyfunc_core.model import ModelDirectory, resolve_flavor
    from pyfunc_core.plugins import get_plugins
    from pyfunc_scoring_server.process.supervisor import Supervisor
    from pyfunc_scoring_server.process.workers import load_serving_model, run_worker

    flavor = resolve_flavor(ModelDirectory.open(options.model_path), get_plugins())
    options, why = options.with_workers(flavor)
    count = options.workers or 1
    logger.info("%d worker%s (%s)", count, "s" * (count != 1), why)
    if count <= 1:
        try:
            return run_worker(options, sock)
        finally:
            sock.close()
    import shutil
    import tempfile

    from pyfunc_scoring_server.http.metrics import MULTIPROC_ENV

    own_dir = None
    if not os.environ.get(MULTIPROC_ENV):
        own_dir = tempfile.mkdtemp(prefix="pyfunc-metrics-")
        os.environ[MULTIPROC_ENV] = own_dir
    try:
        stopped: list[int] = []
        previous = {s: signal.signal(s, lambda signum, _f: stopped.append(signum)) for s in _STOP_SIGNALS}
        try:
            preloaded = load_serving_model(options) if flavor.fork_safe else None
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if stopped:  # asked to stop while loading: nothing was served yet
            return 0
        supervisor = Supervisor(options, sock, preloaded)
        supervisor.cleanup_dir = own_dir  # a supervisor that re-executes itself removes it
        return supervisor.run()
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)

"""A worker process: load the model (or take it loaded before forking), warm up, serve, drain.

A worker warms up every route and predicts once on the input example, and only then reports
ready through a pipe and starts accepting. It drains on SIGTERM: it stops accepting, lets
in-flight requests finish, and exits 0. The process that forks and watches the workers is
in :mod:`.supervisor`.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from pyfunc_scoring_server.process.supervisor import DRAIN_GRACE, hung_after

if TYPE_CHECKING:
    from pyfunc_core.model import PyFuncModel
    from pyfunc_scoring_server.options import ScoringOptions
    from pyfunc_scoring_server.process.balance import WorkerSlot

logger = logging.getLogger("pyfunc_scoring_server")

_BEAT_EVERY = 0.5  # seconds between a worker's heartbeats (see .supervisor)


@dataclass
class LoadedModel:
    """A model loaded for serving, and how long loading took."""

    model: PyFuncModel
    seconds: float


def load_serving_model(options: ScoringOptions) -> LoadedModel:
    """Load the model and freeze everything alive so far out of the garbage collector."""
    from pyfunc_core.model import load_model

    # scikit-learn warns on every forest predict run concurrently from several threads (its
    # per-thread config cannot follow joblib's sequential path); the predictions are right.
    warnings.filterwarnings("ignore", message=r"`sklearn\.utils\.parallel\.delayed` should be used")
    started = time.perf_counter()
    model = load_model(options.model_path)
    seconds = time.perf_counter() - started
    import_route_modules()
    schema = model.metadata.get_input_schema()
    if schema is not None and schema.has_input_names:
        # The Index the codecs label frames with, built now: pandas keeps string labels in
        # pyarrow's allocator, whose first use commits ~4 MB in the process that makes it, so
        # made in each worker it costs every worker those pages, and made here they are shared.
        schema.input_index()
    # The model and every imported module now live as long as the process: move them out of
    # the collector's generations, so the collections that large request bodies trigger
    # stop rescanning them (a 10,000-row JSON body parses ~30 % faster), and pages shared
    # with forked workers are not dirtied by the collector. No full collection first: it
    # would cost ~60 ms of cold start to reclaim the few cycles that imports leave behind.
    gc.freeze()
    return LoadedModel(model, seconds)


def import_route_modules() -> None:
    """What the routes import on first use, imported up front (once, before forking, when the
    model is shared): pandas for the request codecs, werkzeug for the V2 router, the WSGI
    application and its protocols. The worker's warm-up then finds them loaded, and so do the
    first requests. (Not prometheus-client: it picks its multiprocess mode when imported.)"""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import prometheus_client
    import prometheus_client.multiprocess  # noqa: F401
    import werkzeug.exceptions
    import werkzeug.routing  # noqa: F401

    import pyfunc_scoring_server.http.app
    import pyfunc_scoring_server.process.warmup
    import pyfunc_scoring_server.scoring.context  # noqa: F401
    from pyfunc_core.codecs import predictions_to_json  # noqa: F401  (a lazy export: loads its module)


def run_worker(
    options: ScoringOptions,
    sock: socket.socket,
    ready_fd: int | None = None,
    preloaded: LoadedModel | None = None,
    balance: WorkerSlot | None = None,
) -> int:
    """Load the model (unless ``preloaded``), serve on ``sock`` until SIGTERM/SIGINT, drain, return 0.

    ``balance`` is this worker's slot among forked siblings (see :mod:`.balance`)."""
    stop_early: list[int] = []

    def early(signum: int, frame: object) -> None:
        stop_early.append(signum)

    signal.signal(signal.SIGTERM, early)
    signal.signal(signal.SIGINT, early)

    from pyfunc_core.plugins import get_plugins
    from pyfunc_scoring_server.http.access_log import AccessLog
    from pyfunc_scoring_server.http.app import ScoringApp
    from pyfunc_scoring_server.http.metrics import Metrics
    from pyfunc_scoring_server.http.transport import HttpServer
    from pyfunc_scoring_server.process.services import start_services, stop_services, wait_services
    from pyfunc_scoring_server.process.warmup import warm_up
    from pyfunc_scoring_server.scoring.context import ServingContext

    loaded = preloaded or load_serving_model(options)
    if stop_early:
        return 0
    options = options.with_batching(loaded.model)
    ctx = ServingContext(loaded.model, options, get_plugins().codecs, Metrics(), loaded.seconds)
    access_log = AccessLog()
    app = ScoringApp(ctx, access_log)
    http = HttpServer(
        app,
        sock,
        threads=request_threads(options),
        max_body_size=options.max_body_size,
        is_idle=lambda: ctx.in_flight == 0,
        on_error=app.transport_error,
        balance=balance,
        heartbeat=_heartbeat(ctx, balance, hung_after(options)) if balance is not None else None,
        shed=ctx.shed_queued,
    )

    if not stop_early:  # warmed up before anything (HTTP or a worker service) serves a request
        warm_up(app, options.model_path)
    services = start_services(ctx)  # other plugins' servers beside HTTP (see .services)

    def drain(signum: int, frame: object) -> None:
        logger.info("received %s: draining in-flight requests", signal.Signals(signum).name)
        ctx.draining = True
        stop_services(services, options.timeout)
        http.drain(options.timeout + DRAIN_GRACE)

    signal.signal(signal.SIGTERM, drain)
    signal.signal(signal.SIGINT, drain)
    merging = (
        f"requests queued together merged into predict calls of up to {options.batch_max_size} rows"
        if options.batch_max_size
        else "one predict call per request"
    )
    logger.info(
        "worker %d ready: model %r loaded in %.2fs; %s", os.getpid(), options.name, loaded.seconds, merging
    )
    if balance is not None:  # ready: siblings now leave this worker its share of connections
        balance.may_accept(0)
    if ready_fd is not None:  # a forked worker: report ready, and never outlive the supervisor
        os.write(ready_fd, b"1")
        os.close(ready_fd)
        threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    else:
        logger.info("listening on http://%s:%d", options.host, options.port)
    if stop_early:
        drain(stop_early[0], None)
    if balance is not None:  # the first workers start accepting together, once all are ready
        balance.wait_for_gate(lambda: ctx.draining)
    http.run()
    wait_services(services, DRAIN_GRACE)
    ctx.stop()
    access_log.close()
    logger.info("worker %d stopped", os.getpid())
    return 0


def _exit_with_parent(parent: int) -> None:
    """Drain (SIGTERM to ourselves) once the supervisor is gone, e.g. after a SIGKILL."""
    while os.getppid() == parent:
        time.sleep(0.5)
    logger.warning("supervisor %d is gone; worker %d stops", parent, os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)


def _heartbeat(ctx: Any, slot: WorkerSlot, limit: float) -> Callable[[], None]:
    """What the event loop calls each turn: beat (at most every _BEAT_EVERY s) unless a
    predict call has been running for ``limit`` seconds."""
    last = [0.0]

    def beat() -> None:
        now = time.monotonic()
        if now - last[0] >= _BEAT_EVERY and ctx.runner.busy_for() < limit:
            last[0] = now
            slot.beat()

    return beat


def request_threads(options: ScoringOptions) -> int:
    """waitress threads: with batching, enough waiting requests to fill a batch (up to 64)."""
    rows = options.batch_max_size or 0  # settled by ScoringOptions.with_batching (None: not yet)
    if rows > 0:
        return max(options.threads, min(rows, 64))
    return options.threads

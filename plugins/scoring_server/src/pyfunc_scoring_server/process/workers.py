"""Worker processes: one serving process, and the supervisor that forks N of them.

The supervisor binds the socket, forks the workers (each loads its own copy of the model
unless it was loaded before forking, warms up every route and predicts once on the input
example, and only then reports ready through a pipe and starts accepting), restarts a worker
that dies after it was ready, kills and replaces a ready worker whose heartbeat stopped for
``hung_after`` seconds, and on SIGTERM/SIGINT forwards SIGTERM to every worker and waits for
them to drain. A worker drains on SIGTERM: it stops accepting, lets in-flight requests
finish, and exits 0.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from pyfunc_core.errors import PyfuncError
from pyfunc_scoring_server.process.balance import ConnectionBalance
from pyfunc_scoring_server.process.file_pages import release_file_pages

if TYPE_CHECKING:
    from pyfunc_core.model import PyFuncModel
    from pyfunc_core.registry import Flavor
    from pyfunc_scoring_server.options import ScoringOptions
    from pyfunc_scoring_server.process.balance import WorkerSlot

logger = logging.getLogger("pyfunc_scoring_server")

#: Extra seconds beyond --timeout that a draining worker may take before it is killed.
DRAIN_GRACE = 10.0
#: A worker that dies this many times within RESTART_WINDOW seconds stops the server.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
#: Seconds a ready worker may go without a heartbeat before it is killed and replaced; the
#: default is max(120, 3 x --timeout). Its event loop beats unless the loop itself is stuck
#: (native code holding the GIL) or a predict call has run that long.
HUNG_AFTER_ENV = "PYFUNC_SCORING_SERVER_HUNG_SECONDS"
_BEAT_EVERY = 0.5


def hung_after(options: ScoringOptions) -> float:
    """Heartbeat silence after which a worker counts as hung."""
    given = os.environ.get(HUNG_AFTER_ENV)
    if given:
        try:
            return max(float(given), 1.0)
        except ValueError:
            logger.warning("ignoring %s=%r: not a number of seconds", HUNG_AFTER_ENV, given)
    return max(120.0, 3 * options.timeout)


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


def preload_if_fork_safe(options: ScoringOptions, flavor: Flavor) -> LoadedModel | None:
    """Load the model before forking workers when its flavor allows sharing it."""
    return load_serving_model(options) if flavor.fork_safe else None


def import_route_modules() -> None:
    """What the routes import on first use, imported up front (once, before forking, when the
    model is shared): pandas for the request codecs, werkzeug for the V2 router, the WSGI
    application and its protocols. The worker's warm-up then finds them loaded, and so do the
    first requests. (Not prometheus-client: it picks its multiprocess mode when imported.)"""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
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


class Supervisor:
    """Forks ``options.workers`` workers on one pre-bound socket and keeps them running."""

    def __init__(
        self, options: ScoringOptions, sock: socket.socket, preloaded: LoadedModel | None = None
    ) -> None:
        self.options = options
        self.sock = sock
        self.preloaded = preloaded
        self.workers: dict[int, int] = {}  # pid -> ready pipe read end (-1 once ready)
        self.count = options.workers or 1  # settled by ScoringOptions.with_workers
        self.balance = ConnectionBalance(self.count)
        self.slots: dict[int, WorkerSlot] = {}  # pid -> its connection-balance slot
        self.stopping = False
        self.restarts: list[float] = []
        self.ready_at: dict[int, float] = {}  # pid -> when it reported ready
        self.announced_at = 0.0  # when every first worker was ready (0: not yet)
        self.hung_after = hung_after(options)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for _ in range(self.count):
            self._spawn()
        announced = False
        failed = False
        while not self.stopping:
            if self._all_ready() and not announced:
                announced = True
                logger.info(
                    "listening on http://%s:%d: model %r, %d workers ready",
                    self.options.host, self.options.port, self.options.name, self.count,
                )  # fmt: skip
                self.balance.open_gate()
                self.announced_at = time.monotonic()
                release_file_pages()
            self._kill_hung()
            if self._reap_and_restart():
                failed = True
                break
            time.sleep(0.05)
        return self._shutdown(failed)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _spawn(self) -> None:
        read_fd, write_fd = os.pipe()
        slot = self.balance.take()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_fd)
            for fd in self.workers.values():
                if fd >= 0:
                    os.close(fd)
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                code = run_worker(self.options, self.sock, write_fd, self.preloaded, slot)
            except PyfuncError as exc:
                print(f"Error: worker {os.getpid()}: {exc}", file=sys.stderr, flush=True)
            except BaseException as exc:
                logger.exception("worker %d crashed: %s", os.getpid(), exc)
            finally:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.workers[pid] = read_fd
        self.slots[pid] = slot

    def _all_ready(self) -> bool:
        ready = True
        for pid, fd in list(self.workers.items()):
            if fd < 0:
                continue
            try:
                got = os.read(fd, 1)
            except BlockingIOError:
                ready = False
                continue
            if got:
                os.close(fd)
                self.workers[pid] = -1
                self.ready_at[pid] = time.monotonic()
            else:
                ready = False
        return ready

    def _kill_hung(self) -> None:
        """SIGKILL a ready worker whose heartbeat stopped; reaping then replaces it."""
        if not self.announced_at:  # ready workers wait at the start gate without beating
            return
        now = time.monotonic()
        for pid, since in list(self.ready_at.items()):
            last = max(since, self.announced_at, self.balance.last_beat(self.slots[pid]))
            if now - last > self.hung_after:
                logger.error("worker %d is hung (no heartbeat for %.0fs); killing it", pid, now - last)
                del self.ready_at[pid]
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def _reap_and_restart(self) -> bool:
        """Reap dead workers; restart those that had been ready. True means give up."""
        from pyfunc_scoring_server.http.metrics import mark_worker_dead

        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return False
            fd = self.workers.pop(pid, None)
            if fd is None:
                continue
            self.ready_at.pop(pid, None)
            self.balance.release(self.slots.pop(pid))
            mark_worker_dead(pid)
            code = os.waitstatus_to_exitcode(status)
            if fd >= 0:
                try:
                    became_ready = os.read(fd, 1) == b"1"
                except BlockingIOError:
                    became_ready = False
                os.close(fd)
                if not became_ready:
                    logger.error("worker %d exited with code %d before it was ready", pid, code)
                    return True
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW] + [now]
            if len(self.restarts) > MAX_RESTARTS:
                logger.error(
                    "workers keep dying (%d restarts in %.0fs); stopping", len(self.restarts), RESTART_WINDOW
                )
                return True
            logger.warning("worker %d exited with code %d; starting a new one", pid, code)
            self._spawn()

    def _shutdown(self, failed: bool) -> int:
        from pyfunc_scoring_server.http.metrics import mark_worker_dead

        self.sock.close()
        for pid in list(self.workers):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.options.timeout + DRAIN_GRACE + 5.0
        codes: list[int] = []
        while self.workers and time.monotonic() < deadline:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)
                continue
            fd = self.workers.pop(pid, None)
            if fd is not None and fd >= 0:
                os.close(fd)
            mark_worker_dead(pid)
            codes.append(os.waitstatus_to_exitcode(status))
        for pid in list(self.workers):
            logger.error("worker %d did not stop in time; killing it", pid)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            codes.append(-9)
        if failed:
            return 1
        return 0 if all(c == 0 for c in codes) else 1

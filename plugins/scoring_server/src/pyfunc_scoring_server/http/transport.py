"""waitress, tuned for small JSON requests, with graceful draining.

Two small waitress subclasses: the WSGI task writes the status line, headers and body as one
buffer (so a response leaves in one ``send``, never a header packet followed by a body
packet), and the error task answers waitress's own errors (body over the size limit,
malformed HTTP) with MLflow's JSON error body instead of plain text.

The request parser stamps when a request has been read completely; the WSGI environ carries
that time as ``pyfunc.arrived``, from which the request's deadline counts (time spent in
waitress's queue included). A worker holds at most ``max_connections`` connections: at the
cap it closes the longest-idle ones (no request in progress, nothing left to send) so that a
flood of idle or slow clients cannot keep health checks and real requests out.

Load shedding at the door: when every request thread is busy, a request about to join
waitress's queue is first weighed by ``shed(queued, threads)`` (see
:meth:`.context.ServingContext.shed_queued`); one that could not be served within
``--timeout`` is answered 503 with ``Retry-After`` right away by a small thread of its own,
instead of waiting in the queue for its 504.

The waitress internals used here (hence ``waitress>=3,<4``), with the tests that exercise them:
``HTTPRequestParser.received``/``completed`` (arrival stamp: test_overload's expired requests);
``WSGITask.get_environment``/``write``/``build_response_header`` and ``wrote_header``,
``complete``, ``has_body``, ``chunked_response``, ``content_length`` (one send:
test_transport_sends_each_response_in_one_write; HEAD: test_hostile_clients);
``ErrorTask.execute`` and ``request.error`` (JSON refusals: test_hostile_clients' transport
errors and 413); ``HTTPChannel.handle_close`` (unread input dropped before a refused
connection closes: the same transport-error test); ``HTTPChannel.parser_class``/``task_class``/``error_task_class`` and the
server's ``channel_class``; ``server.add_task``, ``task_dispatcher.queue``/``threads``
(shedding at the door: test_overload's backlog test); ``server.readable``/``handle_accept``/
``active_channels`` and a channel's ``will_close``, ``close_when_flushed``, ``requests``,
``total_outbufs_len``, ``last_activity`` (connection cap and balance: test_overload's idle
flood, test_concurrency's keep-alive spread); ``adj.asyncore_loop_timeout`` and
``max_request_body_size``; ``wasyncore.dispatcher.close``/``close_all`` and
``trigger.pull_trigger`` (drain: the SIGTERM tests).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from time import perf_counter
from typing import TYPE_CHECKING, Any, Callable

import orjson
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import Error

from pyfunc_core.errors import clip
from pyfunc_scoring_server.http.responses import STATUS_ERROR_CODES, request_id, too_large

if TYPE_CHECKING:
    from pyfunc_scoring_server.process.balance import WorkerSlot

logger = logging.getLogger("pyfunc_scoring_server")

#: WSGI environ key: ``perf_counter()`` when the request had been read completely.
ARRIVED = "pyfunc.arrived"
#: Connections one worker holds at most (fewer when the open-files limit is lower).
MAX_CONNECTIONS = 1000
#: Fraction of the cap closed at once when a worker reaches it (amortizes the scan).
_EVICT_FRACTION = 0.05
#: Connections accepted per loop turn at most (waitress takes one; a turn costs O(connections)).
_ACCEPT_BURST = 64


class _Overloaded(Error):
    code = 503
    reason = "Service Unavailable"

    def __init__(self, body: str, retry_after: int) -> None:
        super().__init__(body)
        self.retry_after = retry_after


class _Parser(HTTPRequestParser):
    arrived = 0.0

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if self.completed and not self.arrived:
            self.arrived = perf_counter()
        return consumed


class _OneSendTask(WSGITask):
    wrote_header: bool  # waitress.task.Task's flag: the status line and headers are out

    def get_environment(self) -> dict[str, Any]:
        if self.environ is None:
            environ = super().get_environment()
            environ[ARRIVED] = getattr(self.request, "arrived", 0.0) or perf_counter()
        return self.environ

    def write(self, data: bytes) -> None:
        if not self.wrote_header and getattr(self.channel.server, "pyfunc_draining", False):
            self.set_close_on_finish()  # a draining worker closes each connection after its answer
        if (
            not self.wrote_header
            and data
            and self.complete
            and self.has_body
            and not self.chunked_response
            and self.content_length == len(data)
        ):
            head = self.build_response_header()
            self.wrote_header = True
            self.content_bytes_written += len(data)
            self.channel.write_soon(head + data)
            return
        super().write(data)


class _JsonErrorTask(ErrorTask):
    def execute(self) -> None:
        error = self.request.error
        code = int(error.code)
        if code == 413:  # waitress's own text names its limit, one byte over --max-body-size
            message = too_large(self.channel.server.adj.max_request_body_size - 1)
        else:
            message = f"{error.reason}: {clip(str(error.body))}"
        body = orjson.dumps({"error_code": STATUS_ERROR_CODES.get(code, "BAD_REQUEST"), "message": message})
        if isinstance(error, _Overloaded) and (getattr(self.request, "path", None) or "").startswith("/v2/"):
            body = orjson.dumps({"error": message})  # the V2 routes' own error shape
        self.status = f"{code} {error.reason}"
        request = self.request
        rid = request_id({"HTTP_X_REQUEST_ID": request.headers.get("X_REQUEST_ID")})
        self.response_headers.append(("Content-Type", "application/json"))
        self.response_headers.append(("X-Request-ID", rid))
        if isinstance(error, _Overloaded):
            self.response_headers.append(("Retry-After", str(error.retry_after)))
        hook = getattr(self.channel.server, "pyfunc_error_hook", None)
        if hook is not None:
            hook(self.channel.addr, getattr(request, "command", None), getattr(request, "path", None), code,
                 len(body), rid)  # fmt: skip
        self.set_close_on_finish()
        self.channel.pyfunc_refused = True
        self.content_length = len(body)
        # a HEAD answer has the headers only (the connection closes after it anyway)
        self.write(b"" if getattr(request, "command", None) == "HEAD" else body)


class _Channel(HTTPChannel):
    parser_class = _Parser
    task_class = _OneSendTask
    error_task_class = _JsonErrorTask
    #: Set by the error task: the connection closes after a refusal, maybe with input unread.
    pyfunc_refused = False

    def handle_close(self) -> None:
        if self.pyfunc_refused:
            discard_pending_input(self.socket)
        super().handle_close()


def discard_pending_input(sock: socket.socket, limit: int = 16 * 1024 * 1024) -> int:
    """Read and drop what the client has already sent (up to ``limit`` bytes, without
    blocking). A socket closed with unread input makes the kernel send a reset, which can reach
    the client before it has read the refusal (a 431 for a 300 kB header arrived as
    "connection reset by peer")."""
    dropped = 0
    try:
        while dropped < limit:
            chunk = sock.recv(256 * 1024)
            if not chunk:
                break
            dropped += len(chunk)
    except OSError:  # BlockingIOError: nothing more has arrived
        pass
    return dropped


def bind_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """The listening socket, bound once (by the supervisor when there are several workers)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, socktype, proto, _, address = infos[0]
    sock = socket.socket(family, socktype, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """waitress on a pre-bound socket, with a drain that lets in-flight requests finish."""

    def __init__(
        self,
        app: Callable[..., Any],
        sock: socket.socket,
        *,
        threads: int,
        max_body_size: int,
        is_idle: Callable[[], bool],
        on_error: Callable[..., None] | None = None,
        balance: WorkerSlot | None = None,
        max_connections: int = MAX_CONNECTIONS,
        heartbeat: Callable[[], None] | None = None,
        shed: Callable[[int, int], tuple[str, int] | None] | None = None,
    ) -> None:
        self._map: dict[int, Any] = {}
        self.max_connections = max(16, min(max_connections, _open_files_limit() - 64))
        self._is_idle = is_idle
        self._draining = False
        self.server = create_server(
            app,
            map=self._map,
            sockets=[sock],
            threads=threads,
            # waitress refuses bodies of max_request_body_size bytes or more
            max_request_body_size=max_body_size + 1,
            inbuf_overflow=min(max_body_size + 1, 256 * 1024 * 1024),
            outbuf_overflow=64 * 1024 * 1024,
            recv_bytes=256 * 1024,  # large bodies arrive in few reads (each needs the GIL)
            # never reached while idle connections can be closed to make room (see _make_room)
            connection_limit=self.max_connections + 64,
            backlog=2048,
            asyncore_use_poll=True,
            channel_timeout=120,
            ident="pyfunc-scoring-server",
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=False,
        )
        self.server.channel_class = _Channel
        # errors waitress answers itself (body too large, malformed HTTP) still get logged
        self.server.pyfunc_error_hook = on_error
        self._watch_loop(balance, heartbeat)
        if shed is not None:
            self._shed_at_the_door(shed)

    def _shed_at_the_door(self, shed: Callable[[int, int], tuple[str, int] | None]) -> None:
        """Weigh each request about to wait in waitress's queue; answer the hopeless ones 503
        from a thread of their own (the request threads are all busy by then)."""
        server = self.server
        dispatcher = server.task_dispatcher
        queue_task = server.add_task
        refused: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=_answer_refused, args=(refused,), name="shed", daemon=True).start()

        def add_task(channel: Any) -> None:
            queued = len(dispatcher.queue)
            if queued:
                verdict = shed(queued, max(len(dispatcher.threads), 1))
                if verdict is not None:
                    channel.requests[0].error = _Overloaded(*verdict)
                    refused.put(channel)
                    return
            queue_task(channel)

        server.add_task = add_task

    def _watch_loop(self, slot: WorkerSlot | None, heartbeat: Callable[[], None] | None) -> None:
        """Hook the listening socket's ``readable``, which waitress asks once per loop turn:
        make room at the connection cap, beat the heart, and (among siblings) accept only
        while this worker is not ahead of the others."""
        server = self.server
        channels = server.active_channels
        cap = self.max_connections
        waitress_readable = server.readable
        if slot is not None:
            from pyfunc_scoring_server.process.balance import LOOP_TIMEOUT

            server.adj.asyncore_loop_timeout = LOOP_TIMEOUT  # (the Adjustments parser only takes ints)

        def readable() -> bool:
            if heartbeat is not None:
                heartbeat()
            if len(channels) >= cap:
                self._make_room()
            if slot is None:
                return waitress_readable()
            return waitress_readable() and slot.may_accept(len(channels))

        server.readable = readable
        waitress_accept = server.handle_accept

        def handle_accept() -> None:
            for _ in range(_ACCEPT_BURST):  # until the backlog is empty, the cap or our share is reached
                before = len(channels)
                waitress_accept()
                if len(channels) == before or len(channels) >= cap:
                    return
                if slot is not None and not slot.may_accept(len(channels)):
                    return

        server.handle_accept = handle_accept

    def _make_room(self) -> None:
        """At the cap, close the longest-idle connections (slow or idle clients go first)."""
        live = [c for c in self.server.active_channels.values() if not (c.will_close or c.close_when_flushed)]
        excess = len(live) - self.max_connections + max(1, int(self.max_connections * _EVICT_FRACTION))
        if excess <= 0:
            return
        idle = [c for c in live if not c.requests and not c.total_outbufs_len]
        idle.sort(key=lambda c: (c.request is not None, c.last_activity))  # fully idle first
        for channel in idle[:excess]:
            channel.will_close = True  # closed by waitress on the loop's next turn
        if idle:
            logger.warning("at the %d-connection cap: closing %d idle connections", self.max_connections,
                           min(excess, len(idle)))  # fmt: skip

    def run(self) -> None:
        """Serve until :meth:`drain` has finished (returns normally)."""
        self.server.run()
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def drain(self, deadline_seconds: float) -> None:
        """Stop accepting, then close everything once in-flight requests have been answered.

        Safe to call from a signal handler in the main thread: the waiting happens in a thread
        and the final close runs inside waitress's loop (through its trigger).
        """
        if self._draining:
            return
        self._draining = True
        self.server.pyfunc_draining = True
        wasyncore.dispatcher.close(self.server)  # the listening socket only
        threading.Thread(target=self._wait_then_close, args=(deadline_seconds,), daemon=True).start()

    def _wait_then_close(self, deadline_seconds: float) -> None:
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if self._is_idle() and self._channels_idle():
                break
            time.sleep(0.02)
        else:
            logger.warning("drain deadline reached with requests still in flight; closing")
        self.server.trigger.pull_trigger(self._close_all)

    def _channels_idle(self) -> bool:
        try:
            channels = [c for c in list(self._map.values()) if isinstance(c, HTTPChannel)]
        except RuntimeError:  # the map changed under us; look again
            return False
        return all(
            not getattr(c, "requests", None) and not getattr(c, "total_outbufs_len", 0) for c in channels
        )

    def _close_all(self) -> None:
        wasyncore.close_all(self._map)


def _answer_refused(refused: queue.SimpleQueue[Any]) -> None:
    while True:
        channel = refused.get()
        try:
            channel.service()  # writes the 503 (an error task: no application call)
        except Exception as exc:
            logger.warning("answering a shed request failed: %s: %s", type(exc).__name__, exc)
        channel = None


def _open_files_limit() -> int:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20

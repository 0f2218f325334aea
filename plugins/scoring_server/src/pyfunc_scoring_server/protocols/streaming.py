"""Server-Sent Events: a model's ``predict_stream`` answered chunk by chunk.

The model's generator runs in a thread of its own and hands chunks over a small queue, so
the request thread can wait for each with a deadline: ``--timeout`` bounds the time between
two chunks (and before the first), and ``PYFUNC_STREAM_TOTAL_TIMEOUT`` (seconds, default
600) the whole stream. The first chunk is awaited before any byte is sent, so a model that
fails (or times out) before it is answered with an ordinary JSON error and status; a failure
after it is sent as an error event and ends the stream. When the client disconnects
(waitress then closes the response iterator), or a deadline passes, the generator is closed
at its next chunk. Streams never go through the batcher. waitress sends each chunk as soon
as it is written (its ``send_bytes`` is 1, and a response without ``Content-Length`` goes out
with chunked transfer encoding).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from time import perf_counter
from typing import Any, Callable, Iterator

import orjson

from pyfunc_core.errors import PyfuncError, clip
from pyfunc_scoring_server.http.responses import Reply
from pyfunc_scoring_server.scoring.context import MODEL_ERROR, ServingContext

logger = logging.getLogger("pyfunc_scoring_server")

EVENT_STREAM = "text/event-stream"
DONE = b"data: [DONE]\n\n"
TOTAL_TIMEOUT_ENV = "PYFUNC_STREAM_TOTAL_TIMEOUT"
_QUEUE = 64  # chunks a slow client lets the model run ahead by


def total_timeout() -> float:
    try:
        return float(os.environ.get(TOTAL_TIMEOUT_ENV, "600"))
    except ValueError:
        return 600.0


class StreamReply(Reply):
    """A reply whose body is produced chunk by chunk (no ``Content-Length``)."""

    def __init__(self, chunks: ChunkStream, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(200, b"", EVENT_STREAM, [("Cache-Control", "no-cache"), *(headers or [])])
        self.chunks = chunks


def jsonable(obj: Any) -> Any:
    """orjson's fallback for what a generic model may yield (frames, series)."""
    if hasattr(obj, "to_dict"):
        try:
            return obj.to_dict(orient="records")
        except TypeError:
            return obj.to_dict()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def data_event(obj: Any, event: str | None = None) -> bytes:
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + orjson.dumps(obj, default=jsonable, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n\n"


def mlflow_error_event(code: str, message: str) -> bytes:
    return data_event({"error_code": code, "message": clip(message)}, "error")


class ChunkStream:
    """One stream: the producer thread, the deadlines, the metrics, the end marker."""

    def __init__(
        self,
        ctx: ServingContext,
        make: Callable[[], Iterator[Any]],
        encode: Callable[[Any], bytes],
        *,
        error: Callable[[str, str], bytes] = mlflow_error_event,
        prologue: list[bytes] | None = None,
        epilogue: Callable[[], list[bytes]] | None = None,
        started: float | None = None,
    ) -> None:
        self.ctx = ctx
        self._make = make
        self._encode = encode
        self._error = error
        self._prologue = prologue or []
        self._epilogue = epilogue
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(_QUEUE)
        self._cancel = threading.Event()
        self._started = started if started is not None else perf_counter()
        self._deadline = self._started + total_timeout()
        self.count = 0
        self.bytes = 0
        self._first: tuple[str, Any] | None = None
        self._closed = False
        #: called once when the stream ends, however it ends (the access log, request metrics)
        self.on_close: Callable[[ChunkStream], None] | None = None

    # -- producer --------------------------------------------------------------------------

    def _produce(self) -> None:
        iterator = None
        try:
            iterator = iter(self._make())
            for item in iterator:
                if not self._put(("chunk", item)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # the model's failure, handed to the request thread
            self._put(("error", exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()  # GeneratorExit inside the model's generator: it stops there
                except Exception as exc:
                    logger.warning("closing a model's stream raised %s: %s", type(exc).__name__, exc)

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._cancel.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _get(self) -> tuple[str, Any]:
        now = perf_counter()
        wait = min(self.ctx.timeout, self._deadline - now)
        try:
            return self._queue.get(timeout=max(wait, 0.0))
        except queue.Empty:
            if self._deadline - perf_counter() <= 0:
                return ("timeout", f"The stream did not finish within the {total_timeout():g}s total limit")
            return ("timeout", f"The model produced no chunk within the {self.ctx.timeout:g}s timeout")

    # -- request thread --------------------------------------------------------------------

    def start(self) -> PyfuncError | None:
        """Run the model up to its first chunk; an error to answer instead of streaming."""
        self.ctx.metrics.streams_in_flight.inc()
        threading.Thread(target=self._produce, name="stream", daemon=True).start()
        kind, value = self._get()
        if kind in ("chunk", "end"):
            self._first = (kind, value)
            if kind == "chunk":
                self.ctx.metrics.stream_first_chunk.observe(perf_counter() - self._started)
            return None
        self.close()
        if kind == "timeout":
            from pyfunc_scoring_server.scoring.context import DeadlineExceeded

            return DeadlineExceeded(value)
        return as_pyfunc_error(value, self.ctx.debug)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for piece in self._pieces():
                self.bytes += len(piece)
                yield piece
        finally:
            self.close()

    def _pieces(self) -> Iterator[bytes]:
        yield from self._prologue
        first: tuple[str, Any] = self._first or ("end", None)
        kind, value = first
        while kind == "chunk":
            self.count += 1
            yield self._encode(value)
            kind, value = self._get()
        if kind == "end":
            yield from self._epilogue() if self._epilogue else []
            yield DONE
        elif kind == "timeout":
            logger.warning("stream stopped: %s", value)
            yield self._error("DEADLINE_EXCEEDED", value)
        else:
            error = as_pyfunc_error(value, self.ctx.debug)
            yield self._error(error.error_code, str(error))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel.set()
        metrics = self.ctx.metrics
        metrics.streams_in_flight.dec()
        metrics.stream_chunks.observe(self.count)
        if self.on_close is not None:
            self.on_close(self)


def as_pyfunc_error(exc: BaseException, debug: bool) -> PyfuncError:
    from pyfunc_core.errors import PredictionError

    if isinstance(exc, PyfuncError):
        return exc
    logger.warning("model stream raised %s: %s", type(exc).__name__, exc, exc_info=exc if debug else None)
    return PredictionError(f"{MODEL_ERROR} Error: '{type(exc).__name__}: {clip(str(exc))}'")


def stream_predictions(
    ctx: ServingContext,
    data: Any,
    params: Any,
    *,
    encode: Callable[[Any], bytes] = data_event,
    error: Callable[[str, str], bytes] = mlflow_error_event,
    prologue: list[bytes] | None = None,
    epilogue: Callable[[], list[bytes]] | None = None,
    started: float | None = None,
) -> Reply | PyfuncError:
    """The model's ``predict_stream`` on prepared input, as an SSE reply (or the error to send)."""
    model = ctx.model

    def make() -> Iterator[Any]:
        return model.model_impl.predict_stream(data, params=params)  # type: ignore[attr-defined]

    stream = ChunkStream(
        ctx, make, encode, error=error, prologue=prologue, epilogue=epilogue, started=started
    )
    failed = stream.start()
    return failed if failed is not None else StreamReply(stream)


def prepare(ctx: ServingContext, data: Any, params: Any, started: float) -> tuple[Any, Any]:
    """Admission and the signature, for a request about to stream; every failure is a PyfuncError."""
    from pyfunc_core.codecs import input_error

    ctx.admit(started)
    try:
        return ctx.prepare(data, params)
    except PyfuncError:
        raise
    except Exception as exc:
        raise input_error(exc) from exc


def can_stream(ctx: ServingContext) -> bool:
    return callable(getattr(ctx.model.model_impl, "predict_stream", None))

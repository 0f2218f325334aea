"""What every route needs: the loaded model, its schemas, the prediction runner, metrics.

Deadlines count from the request's arrival (``started``: when waitress had read the whole
request, see :mod:`.transport`), so time spent queued counts against ``--timeout``. Before
decoding, :meth:`ServingContext.admit` answers at once a request that is already past its
deadline (504), or one that the runner's backlog (estimated from recent predict durations)
would not let finish in time (503 with ``Retry-After``: load shedding).
"""

from __future__ import annotations

import logging
import math
import threading
from time import perf_counter
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from pyfunc_core.codecs import input_error
from pyfunc_core.errors import PredictionError, PyfuncError, clip
from pyfunc_scoring_server.http.responses import Reply, mlflow_error
from pyfunc_scoring_server.process.heap import HeapTrimmer
from pyfunc_scoring_server.protocols.outputs import ModelOutputs
from pyfunc_scoring_server.scoring.batching import BatchRunner, DirectRunner, Expired, Slot, count_rows

if TYPE_CHECKING:
    from pyfunc_core.model import PyFuncModel
    from pyfunc_core.registry import CodecRegistry
    from pyfunc_scoring_server.http.metrics import Metrics
    from pyfunc_scoring_server.options import ScoringOptions

logger = logging.getLogger("pyfunc_scoring_server")
R = TypeVar("R")

MODEL_ERROR = (
    "Encountered an unexpected error while evaluating the model. Verify that the input is "
    "compatible with the model for inference."
)


class DeadlineExceeded(PyfuncError):
    """The request ran past ``--timeout``."""

    error_code = "DEADLINE_EXCEEDED"


class Overloaded(PyfuncError):
    """The queue ahead is longer than the server can serve within ``--timeout`` (503)."""

    error_code = "TEMPORARILY_UNAVAILABLE"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        #: Seconds the client should wait before retrying (the ``Retry-After`` header).
        self.retry_after = retry_after


class ServingContext:
    """The loaded model and the machinery around it, shared by every route of one worker."""

    def __init__(
        self,
        model: PyFuncModel,
        options: ScoringOptions,
        codecs: CodecRegistry,
        metrics: Metrics,
        load_seconds: float,
    ):
        self.model = model
        options = options.with_batching(model)  # the default batch size depends on the predictor
        self.options = options
        self.name = options.name
        self.codecs = codecs
        self.metrics = metrics
        self.debug = options.debug
        self.timeout = options.timeout
        self.max_body = options.max_body_size
        self.load_seconds = load_seconds
        self.input_schema = model.metadata.get_input_schema()
        self.output_schema = model.metadata.get_output_schema()
        self.params_schema = model.metadata.get_params_schema()
        self.draining = False
        self._shed_count, self._shed_logged_at = 0, -1.0
        self._in_flight = 0
        self._lock = threading.Lock()
        #: The model's named outputs (V2 ``outputs``), and the predict function the runner calls.
        self.outputs = ModelOutputs(model)
        predict = self.outputs.predict
        rows = options.batch_max_size or 0
        if rows > 0:
            self.runner: DirectRunner | BatchRunner = BatchRunner(
                predict, rows, options.batch_max_wait_ms / 1000.0, metrics.observe_batch
            )
        else:
            self.runner = DirectRunner(predict, options.threads, metrics.queue_depth.set)
        self._count_rows = rows <= 0  # a batch runner counts its own rows
        metrics.load_seconds.set(load_seconds)
        self.heap = HeapTrimmer(lambda: self._in_flight == 0)

    # -- in-flight accounting (drain on SIGTERM waits for zero) ---------------------------

    def enter(self, body_size: int = 0) -> None:
        with self._lock:
            self._in_flight += 1
        self.metrics.in_flight.inc()
        self.heap.saw_body(body_size)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            idle = self._in_flight == 0
        self.metrics.in_flight.dec()
        if idle:
            self.heap.went_idle()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # -- prediction ------------------------------------------------------------------------

    def prepare(self, data: Any, params: Any) -> tuple[Any, Any]:
        """The signature applied to decoded input."""
        return self.model.prepare_input(data, params)

    def predict(self, decode: Callable[[], R], started: float) -> tuple[R, Any]:
        """Decode a request, apply the signature, run it (maybe batched) and wait for it.

        ``decode()`` returns the route's request (anything with ``data`` and ``params``);
        the runner counts the request as arriving until it is queued, so a batch waits for
        requests still being decoded. Every failure is a ``PyfuncError``: whatever decoding
        and the signature raise is the client's error (a 4xx, see ``input_error``), and only
        what happens from the model on can be a 5xx.
        """
        self.admit(started)
        self.runner.arriving()
        try:
            try:
                request = decode()
                data, params = self.prepare(request.data, request.params)  # type: ignore[attr-defined]
                params = self.outputs.with_request(params, getattr(request, "outputs", None))
            except PyfuncError:
                raise  # (not ``raise exc from exc``: a cycle that would keep the body until a GC)
            except Exception as exc:
                logger.warning("request input failed unexpectedly: %s: %s", type(exc).__name__, clip(str(exc)),
                               exc_info=exc if self.debug else None)  # fmt: skip
                raise input_error(exc) from exc
            rows = count_rows(data)
            slot = self.runner.submit(data, params, rows, started + self.timeout)
        finally:
            self.runner.left()
        if self._count_rows:
            self.metrics.observe_predict(rows)
        return request, self.wait(slot, started)

    def admit(self, started: float) -> None:
        """Refuse at once what cannot finish in time: 504 when already late, 503 when shed."""
        waited = perf_counter() - started
        if waited >= self.timeout:
            raise self._late(
                f"The request waited {waited:.1f}s in the queue, past the {self.timeout:g}s timeout"
            )
        estimate = self.runner.estimate()
        if estimate is None:  # nothing timed yet
            return
        wait, per = estimate
        if wait and waited + wait + per > self.timeout:
            raise Overloaded(*self._shed(wait))

    def shed_queued(self, queued: int, threads: int) -> tuple[str, int] | None:
        """For a request about to wait behind ``queued`` others for one of ``threads`` busy
        request threads: (message, Retry-After seconds) when it could not finish in time.

        Called by the transport's I/O thread: cheap, and never raises."""
        estimate = self.runner.estimate()
        if estimate is None or not estimate[1]:  # nothing timed yet
            return None
        wait, per = estimate
        wait += -(-queued // threads) * per  # the requests queued ahead take rounds of the threads
        if wait + per <= self.timeout:
            return None
        return self._shed(wait)

    def _shed(self, wait: float) -> tuple[str, int]:
        self._shed_count += 1
        now = perf_counter()
        if now - self._shed_logged_at >= 1.0:  # one line a second under overload, not one a request
            logger.warning("shedding load: %d requests refused (503), about %.1fs of work ahead (timeout %gs)",
                           self._shed_count, wait, self.timeout)  # fmt: skip
            self._shed_count, self._shed_logged_at = 0, now
        message = (
            f"The server is overloaded: about {wait:.1f}s of queued predictions are ahead of this "
            f"request, more than its {self.timeout:g}s timeout allows; retry later"
        )
        return message, max(1, math.ceil(wait))

    def _late(self, message: str) -> DeadlineExceeded:
        logger.warning("request exceeded the %ss timeout", self.timeout)
        return DeadlineExceeded(message)

    def wait(self, slot: Slot, started: float) -> Any:
        """The prediction; raises DeadlineExceeded, or a PyfuncError for the model's exception."""
        if not slot.wait(self.timeout - (perf_counter() - started)):
            self.runner.abandon(slot)
            raise self._late(f"The request did not complete within the {self.timeout:g}s timeout")
        error = slot.error
        if error is None:
            return slot.value
        if isinstance(error, Expired):
            raise self._late(f"The request did not start within the {self.timeout:g}s timeout")
        if isinstance(error, PyfuncError):
            raise error
        logger.warning(
            "model raised %s: %s", type(error).__name__, error, exc_info=error if self.debug else None
        )
        raise PredictionError(f"{MODEL_ERROR} Error: '{type(error).__name__}: {clip(str(error))}'") from error

    def stop(self) -> None:
        self.runner.stop()


def log_internal(exc: BaseException) -> None:
    """A fault of the server itself goes to the log with its traceback."""
    logger.error("internal error: %s: %s", type(exc).__name__, exc, exc_info=exc)


def internal_error(exc: BaseException, debug: bool) -> Reply:
    """MLflow's 500 body for a fault of the server itself (logged with its traceback)."""
    from pyfunc_scoring_server.http.responses import stack_of

    log_internal(exc)
    return mlflow_error(
        500, f"Internal server error: {type(exc).__name__}", stack=stack_of(exc) if debug else None
    )

"""The V2 gRPC service (KServe's ``grpc_predict_v2.proto``, package ``inference``) of one worker.

It serves the worker's :class:`~pyfunc_scoring_server.scoring.context.ServingContext`: the same model,
runner (and batching queue), ``--timeout`` deadline, ``--max-body-size`` (the largest message
received) and metrics (endpoint label ``grpc <Method>``) as HTTP. Tensors arrive in typed
``contents`` or in ``raw_input_contents`` (the binary extension's layout); answers always
use ``raw_output_contents``. Every worker binds the port with ``SO_REUSEPORT``.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from math import prod
from time import perf_counter
from typing import TYPE_CHECKING, Any, Callable

import grpc
import orjson

from pyfunc_core.errors import InvalidInputError, PyfuncError, quote
from pyfunc_grpc.proto import grpc_predict_v2_pb2 as pb
from pyfunc_grpc.proto import grpc_predict_v2_pb2_grpc as pb_grpc
from pyfunc_scoring_server.protocols import v2
from pyfunc_scoring_server.protocols.v2_binary import decode_raw, encode_raw
from pyfunc_scoring_server.protocols.v2_codec import (
    DATATYPES,
    RESERVED_PARAMETERS,
    combine_inputs,
    encode_outputs,
)

if TYPE_CHECKING:
    from pyfunc_scoring_server.scoring.context import ServingContext

logger = logging.getLogger("pyfunc_grpc")

#: The typed ``contents`` field of each datatype.
CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}
_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


class _Request:
    """A decoded ModelInferRequest, shaped like the HTTP route's for ``ServingContext.predict``."""

    __slots__ = ("data", "outputs", "params")

    def __init__(self, data: Any, params: dict[str, Any] | None, outputs: tuple[str, ...] | None) -> None:
        self.data, self.params, self.outputs = data, params, outputs


def parameter_value(p: Any) -> Any:
    """An ``InferParameter``'s value (whichever of its fields is set)."""
    which = p.WhichOneof("parameter_choice")
    return getattr(p, which) if which else None


def decode_request(request: Any, ctx: ServingContext) -> _Request:
    """ModelInferRequest -> model input, params and requested outputs (InvalidInputError)."""
    if not request.inputs:
        raise InvalidInputError("A V2 inference request needs at least one input")
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise InvalidInputError(f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs")
    tensors = [_tensor(item, i, raw[i] if raw else None) for i, item in enumerate(request.inputs)]
    parameters = {k: parameter_value(v) for k, v in request.parameters.items()}
    data = combine_inputs(tensors, parameters.get("content_type"), ctx.input_schema)
    params = {k: v for k, v in parameters.items() if k not in RESERVED_PARAMETERS} or None
    wanted = [o.name for o in request.outputs] or None
    return _Request(data, params, ctx.outputs.check(wanted))


def _tensor(item: Any, position: int, raw: bytes | None) -> tuple[str, Any, str | None]:
    import numpy as np

    name = item.name
    if not name:
        raise InvalidInputError(f"Input {position} needs a name")
    label = quote(name)
    datatype = item.datatype
    if datatype not in DATATYPES:
        raise InvalidInputError(f"Input {label} has unsupported datatype {quote(datatype, 40)}")
    shape = list(item.shape)
    if any(d < 0 for d in shape):
        raise InvalidInputError(f"Input {label} needs a shape of non-negative integers")
    content_type = (
        parameter_value(item.parameters["content_type"]) if "content_type" in item.parameters else None
    )
    if raw is not None:
        arr = decode_raw(label, datatype, DATATYPES[datatype], shape, memoryview(raw), content_type)
    else:
        field = CONTENTS.get(datatype)
        if field is None:
            raise InvalidInputError(f"Input {label} of {datatype} must come in raw_input_contents")
        values = getattr(item.contents, field)
        if datatype == "BYTES":
            arr = decode_raw(label, datatype, "object", [len(values)], _length_prefixed(values), content_type)
        else:
            arr = np.asarray(values, dtype=DATATYPES[datatype])
        if arr.size != prod(shape):
            raise InvalidInputError(
                f"Input {label} has {arr.size} values, which does not fit its shape {quote(shape)}"
            )
        arr = arr.reshape(shape)
    if content_type == "str" and datatype == "BYTES":
        return name, arr.reshape(-1).tolist(), content_type
    return name, arr, content_type


def _length_prefixed(values: Any) -> memoryview:
    return memoryview(b"".join(len(v).to_bytes(4, "little") + v for v in values))


def encode_response(
    ctx: ServingContext, request: Any, predictions: Any, wanted: tuple[str, ...] | None
) -> Any:
    outputs, content_type = encode_outputs(predictions, list(wanted) if wanted else None, ctx.outputs.default)
    response = pb.ModelInferResponse(model_name=ctx.name, model_version=request.model_version, id=request.id)
    response.parameters["content_type"].string_param = content_type
    for output in outputs:
        tensor = response.outputs.add(name=output["name"], datatype=output["datatype"], shape=output["shape"])
        if output["datatype"] == "BYTES":
            tensor.parameters["content_type"].string_param = "str"
        response.raw_output_contents.append(encode_raw(output["data"]))
    return response


class InferenceServicer(pb_grpc.GRPCInferenceServiceServicer):
    """The protocol's RPCs over one worker's serving context."""

    def __init__(self, ctx: ServingContext) -> None:
        self.ctx = ctx

    def _observed(self, method: str, context: Any, call: Callable[[], Any]) -> Any:
        ctx = self.ctx
        started = perf_counter()
        ctx.enter()
        status = 200
        try:
            return call()
        except _Abort as exc:
            status = exc.status
            context.abort(_CODES.get(exc.status, grpc.StatusCode.INTERNAL), exc.message)
        except Exception as exc:  # a bug of ours
            status = 500
            logger.error("gRPC %s failed: %s: %s", method, type(exc).__name__, exc, exc_info=exc)
            context.abort(grpc.StatusCode.INTERNAL, f"Internal server error: {type(exc).__name__}")
        finally:
            ctx.leave()
            ctx.metrics.observe_request(f"grpc {method}", status, perf_counter() - started)

    def _check_model(self, name: str) -> None:
        if name != self.ctx.name:
            raise _Abort(404, f"Model {quote(name)} not found (this server serves one model)")

    def ServerLive(self, request: Any, context: Any) -> Any:
        return self._observed("ServerLive", context, lambda: pb.ServerLiveResponse(live=True))

    def ServerReady(self, request: Any, context: Any) -> Any:
        ready = not self.ctx.draining
        return self._observed("ServerReady", context, lambda: pb.ServerReadyResponse(ready=ready))

    def ModelReady(self, request: Any, context: Any) -> Any:
        def answer() -> Any:
            self._check_model(request.name)
            return pb.ModelReadyResponse(ready=not self.ctx.draining)

        return self._observed("ModelReady", context, answer)

    def ServerMetadata(self, request: Any, context: Any) -> Any:
        def answer() -> Any:
            meta = orjson.loads(v2.server_metadata(self.ctx).body)
            return pb.ServerMetadataResponse(
                name=meta["name"], version=meta["version"], extensions=meta["extensions"]
            )

        return self._observed("ServerMetadata", context, answer)

    def ModelMetadata(self, request: Any, context: Any) -> Any:
        def answer() -> Any:
            self._check_model(request.name)
            meta = orjson.loads(v2.model_metadata(self.ctx, request.name, request.version or None).body)
            return pb.ModelMetadataResponse(
                name=meta["name"], versions=meta["versions"], platform=meta["platform"],
                inputs=[_metadata(t) for t in meta["inputs"]], outputs=[_metadata(t) for t in meta["outputs"]],
            )  # fmt: skip

        return self._observed("ModelMetadata", context, answer)

    def ModelInfer(self, request: Any, context: Any) -> Any:
        started = perf_counter()

        def answer() -> Any:
            self._check_model(request.model_name)
            ctx = self.ctx
            try:
                decoded, predictions = ctx.predict(lambda: decode_request(request, ctx), started)
                return encode_response(ctx, request, predictions, decoded.outputs)
            except PyfuncError as exc:
                raise _Abort(exc.http_status, exc.message) from None

        return self._observed("ModelInfer", context, answer)


def _metadata(tensor: dict[str, Any]) -> Any:
    return pb.ModelMetadataResponse.TensorMetadata(
        name=tensor["name"], datatype=tensor["datatype"], shape=tensor["shape"]
    )


class _Abort(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class GrpcHandle:
    """A running gRPC server; ``stop(grace)`` refuses new calls and lets running ones finish for
    ``grace`` seconds (without blocking); ``wait(timeout)`` waits for the server to be done."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._stopped: Any = None

    def stop(self, grace: float) -> None:
        self._stopped = self.server.stop(grace)

    def wait(self, timeout: float) -> None:
        if self._stopped is not None:
            self._stopped.wait(timeout)


def start_grpc(ctx: ServingContext, host: str, port: int) -> GrpcHandle:
    """Serve V2 gRPC on ``host:port`` from this worker."""
    from pyfunc_scoring_server.process.workers import request_threads

    server = grpc.server(
        ThreadPoolExecutor(max_workers=request_threads(ctx.options), thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", ctx.max_body),
            ("grpc.max_send_message_length", -1),
            ("grpc.so_reuseport", 1),
        ],
    )
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(InferenceServicer(ctx), server)
    address = f"{host}:{port}"
    if server.add_insecure_port(address) == 0:
        raise PyfuncError(f"Cannot bind the gRPC port {address}")
    server.start()
    logger.info("gRPC (Open Inference Protocol) on %s", address)
    return GrpcHandle(server)

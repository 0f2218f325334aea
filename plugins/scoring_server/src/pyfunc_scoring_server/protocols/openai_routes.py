"""OpenAI-compatible routes: ``POST /v1/chat/completions`` and ``POST /v1/responses``.

So that the official ``openai`` client works against ``pyfunc-core serve`` with
``base_url="http://HOST:PORT/v1"`` and ``model=<the served model's name>``:

* ``/v1/chat/completions`` serves chat models (``metadata.task`` ``agent/v1/chat``: the
  request goes to the model as it is) and chat agents (``agent/v2/chat``: the messages go to
  the agent, and its reply messages come back as one assistant message, tool calls
  included). With ``"stream": true`` the answer is ``chat.completion.chunk`` events.
* ``/v1/responses`` serves Responses agents (``agent/v1/responses``); ``input`` may be a
  plain string (one user message), ``instructions`` become a leading system message. With
  ``"stream": true`` the model's events are sent with ``response.created`` before them and
  ``response.completed`` (holding every finished output item) after them.

Errors have OpenAI's shape (``{"error": {"message", "type", "code"}}``), which its clients
read; every stream ends with ``data: [DONE]``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from pyfunc_core.codecs import ModelRequest
from pyfunc_core.errors import PyfuncError, quote
from pyfunc_scoring_server.http.request import Request
from pyfunc_scoring_server.http.responses import Reply, json_reply, too_large
from pyfunc_scoring_server.protocols.streaming import can_stream, data_event, prepare, stream_predictions
from pyfunc_scoring_server.scoring.context import ServingContext

TASK_CHAT, TASK_AGENT, TASK_RESPONSES = "agent/v1/chat", "agent/v2/chat", "agent/v1/responses"
_DROPPED = ("model", "stream", "stream_options", "user", "store", "metadata")


def openai_error(status: int, message: str, code: str | None = None) -> Reply:
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message[:1000], "type": kind, "param": None, "code": code}}
    return Reply(status, orjson.dumps(body))


def _from_pyfunc(exc: PyfuncError) -> Reply:
    return openai_error(exc.http_status, str(exc), exc.error_code.lower())


def _error_event(code: str, message: str) -> bytes:
    return data_event({"error": {"message": message[:1000], "type": "server_error", "code": code.lower()}})


def task_of(ctx: ServingContext) -> str | None:
    return (ctx.model.metadata.metadata or {}).get("task")


def _request(ctx: ServingContext, req: Request) -> dict[str, Any] | Reply:
    body = req.body(ctx.max_body)
    if body is None:
        return openai_error(413, too_large(ctx.max_body))
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return openai_error(400, f"Invalid JSON body: {exc}")
    if not isinstance(payload, dict):
        return openai_error(400, f"The body must be a JSON object, got {type(payload).__name__}")
    model = payload.get("model")
    if model not in (None, "", ctx.name):
        return openai_error(
            404,
            f"The model {quote(model)} does not exist: this server serves {quote(ctx.name)}",
            "model_not_found",
        )
    return payload


# -- chat completions ----------------------------------------------------------------------


def chat_completions(ctx: ServingContext, req: Request) -> Reply:
    payload = _request(ctx, req)
    started = req.started
    if isinstance(payload, Reply):
        return payload
    task = task_of(ctx)
    if task not in (TASK_CHAT, TASK_AGENT):
        hint = " use POST /v1/responses" if task == TASK_RESPONSES else " it is not a chat model or agent"
        return openai_error(400, f"/v1/chat/completions cannot serve this model (task {task!r}):{hint}")
    if not isinstance(payload.get("messages"), list) or not payload["messages"]:
        return openai_error(400, "'messages' must be a non-empty list")
    stream = payload.get("stream") is True
    if task == TASK_CHAT:
        request = {k: v for k, v in payload.items() if k not in _DROPPED}
        request["messages"] = [_text_content(m) for m in payload["messages"]]
    else:
        request = {"messages": [_agent_message(m, i) for i, m in enumerate(payload["messages"])]}
        for key in ("custom_inputs", "context"):
            if payload.get(key) is not None:
                request[key] = payload[key]
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    try:
        if stream and can_stream(ctx):
            data, params = prepare(ctx, request, None, started)
            encode = _chat_chunk(ctx, cid, created) if task == TASK_CHAT else _agent_chunk(ctx, cid, created)
            epilogue = None if task == TASK_CHAT else (lambda: [_agent_stop(ctx, cid, created)])
            reply = stream_predictions(ctx, data, params, encode=encode, error=_error_event, epilogue=epilogue,
                                       started=started)  # fmt: skip
            return _from_pyfunc(reply) if isinstance(reply, PyfuncError) else reply
        _, out = ctx.predict(lambda: ModelRequest(request, None), started)
    except PyfuncError as exc:
        return _from_pyfunc(exc)
    if task == TASK_CHAT:
        out = dict(out)
        out["model"] = ctx.name
    else:
        out = _agent_completion(ctx, out, cid, created)
    if stream:  # the model cannot stream: its whole answer as one chunk
        return _single_chunk(out)
    return json_reply(out)


def _text_content(message: Any) -> Any:
    """An OpenAI message whose content parts (``[{"type": "text", "text": ...}]``) are joined
    into the one string MLflow's chat messages hold."""
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return message
    parts = message["content"]
    return {**message, "content": "".join(p.get("text", "") for p in parts if isinstance(p, dict))}


def _agent_message(message: Any, index: int) -> Any:
    """An OpenAI message as a ChatAgent message (content parts joined into text, an id added)."""
    if not isinstance(message, dict):
        return message
    out = dict(_text_content(message))
    out.setdefault("id", f"msg-{index}")
    return out


def _agent_completion(ctx: ServingContext, out: dict[str, Any], cid: str, created: int) -> dict[str, Any]:
    replies = [m for m in out.get("messages") or [] if isinstance(m, dict) and m.get("role") == "assistant"]
    text = "".join(m.get("content") or "" for m in replies)
    calls = [c for m in replies for c in m.get("tool_calls") or []]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    reason = out.get("finish_reason") or ("tool_calls" if calls else "stop")
    completion: dict[str, Any] = {
        "id": cid, "object": "chat.completion", "created": created, "model": ctx.name,
        "choices": [{"index": 0, "message": message, "finish_reason": reason}],
    }  # fmt: skip
    if out.get("usage"):
        completion["usage"] = out["usage"]
    if out.get("custom_outputs") is not None:
        completion["custom_outputs"] = out["custom_outputs"]
    return completion


def _chat_chunk(ctx: ServingContext, cid: str, created: int) -> Any:
    def encode(chunk: Any) -> bytes:
        chunk = dict(chunk)
        chunk["model"] = ctx.name
        chunk.setdefault("id", cid)
        chunk.setdefault("object", "chat.completion.chunk")
        chunk.setdefault("created", created)
        return data_event(chunk)

    return encode


def _agent_chunk(ctx: ServingContext, cid: str, created: int) -> Any:
    def encode(chunk: Any) -> bytes:
        delta = dict(chunk.get("delta") or {}) if isinstance(chunk, dict) else {}
        out: dict[str, Any] = {"role": "assistant"}
        if delta.get("content") is not None:
            out["content"] = delta["content"]
        if delta.get("tool_calls"):
            out["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta["tool_calls"])]
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": ctx.name,
                "choices": [{"index": 0, "delta": out, "finish_reason": None}]}  # fmt: skip
        return data_event(body)

    return encode


def _agent_stop(ctx: ServingContext, cid: str, created: int) -> bytes:
    return data_event({"id": cid, "object": "chat.completion.chunk", "created": created, "model": ctx.name,
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})  # fmt: skip


def _single_chunk(completion: dict[str, Any]) -> Reply:
    from pyfunc_scoring_server.protocols.streaming import DONE, EVENT_STREAM

    choices = [{"index": c.get("index", 0), "delta": c.get("message") or {}, "finish_reason": c.get("finish_reason")}
               for c in completion.get("choices") or []]  # fmt: skip
    chunk = {**completion, "object": "chat.completion.chunk", "choices": choices}
    return Reply(200, data_event(chunk) + DONE, EVENT_STREAM, [("Cache-Control", "no-cache")])


# -- responses -----------------------------------------------------------------------------


def responses(ctx: ServingContext, req: Request) -> Reply:
    payload = _request(ctx, req)
    started = req.started
    if isinstance(payload, Reply):
        return payload
    task = task_of(ctx)
    if task != TASK_RESPONSES:
        return openai_error(400, f"/v1/responses serves Responses agents only; this model's task is {task!r}")
    items = payload.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        return openai_error(400, "'input' must be a string or a non-empty list of items")
    if isinstance(payload.get("instructions"), str):
        items = [{"role": "system", "content": payload["instructions"]}, *items]
    request = {k: v for k, v in payload.items() if k not in (*_DROPPED, "instructions", "input")}
    request["input"] = items
    rid, created = f"resp_{uuid.uuid4().hex[:24]}", time.time()
    shell = {"id": rid, "object": "response", "created_at": created, "model": ctx.name, "output": [],
             "parallel_tool_calls": False, "tool_choice": "auto", "tools": payload.get("tools") or []}  # fmt: skip
    try:
        if payload.get("stream") is True and can_stream(ctx):
            data, params = prepare(ctx, request, None, started)
            events = _ResponseEvents(shell)
            reply = stream_predictions(ctx, data, params, encode=events.encode, error=_error_event,
                                       prologue=[events.created()], epilogue=events.completed, started=started)  # fmt: skip
            return _from_pyfunc(reply) if isinstance(reply, PyfuncError) else reply
        _, out = ctx.predict(lambda: ModelRequest(request, None), started)
    except PyfuncError as exc:
        return _from_pyfunc(exc)
    response = {**shell, **{k: v for k, v in out.items() if k not in ("id", "model")}, "status": "completed"}
    if payload.get("stream") is True:  # the agent cannot stream: created, its items, completed
        events = _ResponseEvents(shell)
        body = [events.created()]
        body += [
            events.encode({"type": "response.output_item.done", "item": item})
            for item in out.get("output", [])
        ]
        from pyfunc_scoring_server.protocols.streaming import DONE, EVENT_STREAM

        return Reply(200, b"".join([*body, *events.completed(), DONE]), EVENT_STREAM)
    return json_reply(response)


class _ResponseEvents:
    """The Responses stream around the agent's events: sequence numbers, output indexes, the
    ``response.created`` and ``response.completed`` events."""

    def __init__(self, shell: dict[str, Any]) -> None:
        self.shell = shell
        self.sequence = 0
        self.items: list[Any] = []
        self.indexes: dict[str, int] = {}

    def _event(self, body: dict[str, Any]) -> bytes:
        body = {**body, "sequence_number": self.sequence}
        self.sequence += 1
        return data_event(body, str(body.get("type")))

    def created(self) -> bytes:
        return self._event({"type": "response.created", "response": {**self.shell, "status": "in_progress"}})

    def encode(self, event: Any) -> bytes:
        event = dict(event) if isinstance(event, dict) else {"type": "response.error", "value": event}
        kind = event.get("type")
        if kind == "response.output_text.delta":
            index = self.indexes.setdefault(str(event.get("item_id")), len(self.indexes))
            event.setdefault("output_index", index)
            event.setdefault("content_index", 0)
            event.setdefault("logprobs", [])
        elif kind == "response.output_item.done" and isinstance(event.get("item"), dict):
            item = event["item"]
            key = str(item.get("id") or item.get("call_id") or len(self.items))
            event.setdefault("output_index", self.indexes.setdefault(key, len(self.indexes)))
            item.setdefault("status", "completed")
            self.items.append(item)
        return self._event(event)

    def completed(self) -> list[bytes]:
        done = {**self.shell, "status": "completed", "output": self.items}
        return [self._event({"type": "response.completed", "response": done})]

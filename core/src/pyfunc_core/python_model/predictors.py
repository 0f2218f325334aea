"""Predictors of chat and agent models: fixed signatures, ``metadata.task``, and the request
dict turned into the class's arguments (a one-row DataFrame too, as MLflow may pass one)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Iterator

from pyfunc_core.errors import InvalidInputError, PredictionError
from pyfunc_core.python_model.api import PythonModelContext
from pyfunc_core.python_model.chat import ChatAgent, ChatModel, ResponsesAgent, new_id

TASK_CHAT = "agent/v1/chat"
TASK_CHAT_AGENT = "agent/v2/chat"
TASK_RESPONSES = "agent/v1/responses"


@dataclass(frozen=True)
class FixedSignature:
    signature: Any
    task: str


def _schemas() -> dict[str, Any]:
    """The signatures MLflow 3 writes for its chat and agent classes (same JSON)."""
    from pyfunc_core.schema.composite import AnyType, Array, Map, Object, Property
    from pyfunc_core.schema.signature import ModelSignature
    from pyfunc_core.schema.types import ColSpec, DataType, Schema

    s, d, n, b = DataType.string, DataType.double, DataType.long, DataType.boolean

    def opt(name: str, t: Any) -> ColSpec:
        return ColSpec(t, name, required=False)

    def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> Object:
        return Object([*(Property(k, v) for k, v in required.items()),
                       *(Property(k, v, False) for k, v in (optional or {}).items())])  # fmt: skip

    anything, context = Map(AnyType()), obj({}, {"conversation_id": s, "user_id": s})
    tool_call = obj({"function": obj({"arguments": s, "name": s}), "id": s, "type": s})
    usage = obj({"completion_tokens": n, "prompt_tokens": n, "total_tokens": n})
    message = obj({"role": s}, {"content": s, "name": s, "refusal": s, "tool_call_id": s,
                                "tool_calls": Array(tool_call)})  # fmt: skip
    agent_message = obj({"role": s}, {"attachments": Map(s), "content": s, "id": s, "name": s,
                                      "tool_call_id": s, "tool_calls": Array(tool_call)})  # fmt: skip
    parameter = obj({"type": s}, {"description": s, "enum": Array(s), "items": obj({"type": s})})
    parameters = obj(
        {"properties": Map(parameter)}, {"additionalProperties": b, "required": Array(s), "type": s}
    )
    tool = obj(
        {"type": s}, {"function": obj({"name": s, "parameters": parameters}, {"description": s, "strict": b})}
    )
    reasoning = obj({}, {"effort": s, "generate_summary": s})
    typed = Array(obj({"type": s}))
    chat = ModelSignature(
        Schema([ColSpec(Array(message), "messages"), opt("temperature", d), opt("max_tokens", n),
                opt("stop", Array(s)), opt("n", n), opt("stream", b), opt("top_p", d), opt("top_k", n),
                opt("frequency_penalty", d), opt("presence_penalty", d), opt("tools", Array(tool)),
                opt("custom_inputs", anything)]),
        Schema([ColSpec(s, "id"), ColSpec(s, "object"), ColSpec(n, "created"), ColSpec(s, "model"),
                ColSpec(Array(obj({"finish_reason": s, "index": n, "message": message})), "choices"),
                opt("usage", usage), opt("custom_outputs", anything)]),
    )  # fmt: skip
    agent = ModelSignature(
        Schema([ColSpec(Array(agent_message), "messages"), opt("context", context),
                opt("custom_inputs", anything), opt("stream", b)]),
        Schema([ColSpec(Array(agent_message), "messages"), opt("finish_reason", s),
                opt("custom_outputs", anything), opt("usage", usage)]),
    )  # fmt: skip
    token_usage = obj({"input_tokens": n, "input_tokens_details": obj({"cached_tokens": n}), "output_tokens": n,
                       "output_tokens_details": obj({"reasoning_tokens": n}), "total_tokens": n})  # fmt: skip
    response = obj(
        {"object": s, "output": typed},
        {"created_at": d, "custom_outputs": anything, "error": obj({"message": s}, {"code": s}), "id": s,
         "incomplete_details": obj({}, {"reason": s}), "instructions": s, "max_output_tokens": n,
         "metadata": Map(s), "model": s, "parallel_tool_calls": b, "previous_response_id": s,
         "reasoning": reasoning, "status": s, "temperature": d, "text": AnyType(), "tool_choice": AnyType(),
         "tools": typed, "top_p": d, "truncation": s, "usage": token_usage, "user": s},
    )  # fmt: skip
    responses = ModelSignature(
        Schema([opt("background", b), opt("context", context), opt("custom_inputs", anything),
                ColSpec(Array(AnyType()), "input"), opt("max_output_tokens", n), opt("metadata", Map(s)),
                opt("parallel_tool_calls", b), opt("reasoning", reasoning), opt("store", b), opt("stream", b),
                opt("temperature", d), opt("text", AnyType()), opt("tool_choice", AnyType()), opt("tools", typed),
                opt("top_p", d), opt("truncation", s), opt("user", s)]),
        Schema([ColSpec(response)]),
    )  # fmt: skip
    return {TASK_CHAT: chat, TASK_CHAT_AGENT: agent, TASK_RESPONSES: responses}


def fixed_signature(model: Any) -> FixedSignature | None:
    """The signature and task of a chat or agent model, or None for any other model."""
    task = _task(model)
    return None if task is None else FixedSignature(_schemas()[task], task)


def _task(model: Any) -> str | None:
    if isinstance(model, ChatModel):
        return TASK_CHAT
    if isinstance(model, ChatAgent):
        return TASK_CHAT_AGENT
    if isinstance(model, ResponsesAgent):
        return TASK_RESPONSES
    return None


def is_streamable(model: Any) -> bool:
    """Whether the model defines ``predict_stream`` (the chat and agent bases leave it out)."""
    return callable(getattr(model, "predict_stream", None))


def wrap_special(model: Any, context: PythonModelContext) -> Any:
    task = _task(model)
    if task is None:
        return None
    predictors: dict[str, type[_Base]] = {
        TASK_CHAT: _ChatPredictor,
        TASK_CHAT_AGENT: _AgentPredictor,
        TASK_RESPONSES: _ResponsesPredictor,
    }
    return predictors[task](model, context)


def request_dict(data: Any) -> dict[str, Any]:
    """The request as a dict (MLflow hands a one-row DataFrame to some models)."""
    import pandas as pd

    from pyfunc_core.python_model.type_hints import _plain

    if isinstance(data, pd.DataFrame):
        if len(data) != 1:
            raise InvalidInputError(f"A chat or agent request is one object, got {len(data)} rows")
        return {str(k): _plain(v[0]) for k, v in data.to_dict(orient="list").items() if _present(v[0])}
    if not isinstance(data, dict):
        raise InvalidInputError(f"A chat or agent request is a JSON object, got {type(data).__name__}")
    return data


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def _dict_result(value: Any, what: str) -> dict[str, Any]:
    if hasattr(value, "model_dump"):  # a pydantic object from user code
        value = value.model_dump(exclude_none=True)
    if not isinstance(value, dict):
        raise PredictionError(f"The model returned {type(value).__name__}, expected a {what} dict")
    return value


class _Base(ABC):
    streamable = False

    def __init__(self, model: Any, context: PythonModelContext):
        self.python_model = self.raw_model = model
        self.context = context
        if is_streamable(model):
            self.predict_stream = self._stream

    @abstractmethod
    def _stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """The model's ``predict_stream`` chunks in MLflow's JSON shape."""


class _ChatPredictor(_Base):
    def _split(self, data: Any) -> tuple[list[Any], dict[str, Any]]:
        request = dict(request_dict(data))
        messages = request.pop("messages", None)
        if not isinstance(messages, list) or not messages:
            raise InvalidInputError("A chat request needs a non-empty 'messages' list")
        request.pop("stream", None)
        return messages, request

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> dict[str, Any]:
        messages, rest = self._split(data)
        out = _dict_result(self.python_model.predict(self.context, messages, rest), "chat completion")
        out.setdefault("id", new_id("chatcmpl"))
        out.setdefault("object", "chat.completion")
        out.setdefault("created", int(time.time()))
        out.setdefault("model", "")
        return out

    def _stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        messages, rest = self._split(data)
        cid, created = new_id("chatcmpl"), int(time.time())
        for chunk in self.python_model.predict_stream(self.context, messages, rest):
            chunk = _dict_result(chunk, "chat completion chunk")
            chunk.setdefault("id", cid)
            chunk.setdefault("object", "chat.completion.chunk")
            chunk.setdefault("created", created)
            chunk.setdefault("model", "")
            yield chunk


class _AgentPredictor(_Base):
    def _split(self, data: Any) -> tuple[list[Any], Any, Any]:
        request = request_dict(data)
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages:
            raise InvalidInputError("A chat agent request needs a non-empty 'messages' list")
        return messages, request.get("context"), request.get("custom_inputs")

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> dict[str, Any]:
        out = _dict_result(self.python_model.predict(*self._split(data)), "ChatAgentResponse")
        if not isinstance(out.get("messages"), list):
            raise PredictionError("The chat agent's response has no 'messages' list")
        return out

    def _stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        for chunk in self.python_model.predict_stream(*self._split(data)):
            chunk = _dict_result(chunk, "ChatAgentChunk")
            if not isinstance(chunk.get("delta"), dict):
                raise PredictionError("A chat agent chunk has no 'delta' message")
            yield chunk


class _ResponsesPredictor(_Base):
    def _request(self, data: Any) -> dict[str, Any]:
        request = dict(request_dict(data))
        if isinstance(request.get("input"), str):  # a plain string is one user message
            request["input"] = [{"role": "user", "content": request["input"]}]
        if not isinstance(request.get("input"), list):
            raise InvalidInputError("A responses request needs an 'input' list (or string)")
        return request

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> dict[str, Any]:
        out = _dict_result(self.python_model.predict(self._request(data)), "ResponsesAgentResponse")
        if not isinstance(out.get("output"), list):
            raise PredictionError("The responses agent's response has no 'output' list")
        out.setdefault("object", "response")
        return out

    def _stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        for event in self.python_model.predict_stream(self._request(data)):
            event = _dict_result(event, "ResponsesAgentStreamEvent")
            if not isinstance(event.get("type"), str):
                raise PredictionError("A responses stream event has no 'type'")
            yield event

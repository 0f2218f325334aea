"""Run inside a virtualenv with the official ``openai`` client only.

Usage: python client_calls.py KIND BASE_URL MODEL

KIND is ``chat`` (a chat model or chat agent) or ``responses`` (a Responses agent). Prints
one JSON object: each call's result ``{"ok": ...}`` or ``{"error": "Type: status message"}``.
"""

from __future__ import annotations

import json
import sys

import openai


def attempt(call):
    try:
        return {"ok": call()}
    except Exception as exc:  # reported for the test to check
        return {"error": f"{type(exc).__name__}: {getattr(exc, 'status_code', '')} {str(exc)[:300]}"}


def chat(client: openai.OpenAI, model: str) -> dict:
    messages = [{"role": "user", "content": "hello big world"}]
    tool = {
        "type": "function",
        "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    }

    def create():
        r = client.chat.completions.create(model=model, messages=messages)
        return {
            "content": r.choices[0].message.content,
            "finish": r.choices[0].finish_reason,
            "model": r.model,
        }

    def stream():
        pieces = []
        for chunk in client.chat.completions.create(model=model, messages=messages, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
        return pieces

    def tools():
        r = client.chat.completions.create(model=model, messages=messages, tools=[tool])
        calls = r.choices[0].message.tool_calls or []
        return [{"name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in calls]

    def wrong_model():
        return client.chat.completions.create(model="nope", messages=messages).model

    return {"create": attempt(create), "stream": attempt(stream), "tools": attempt(tools),
            "wrong_model": attempt(wrong_model)}  # fmt: skip


def responses(client: openai.OpenAI, model: str) -> dict:
    def create():
        r = client.responses.create(model=model, input="hi")
        return {"text": r.output_text, "status": r.status, "model": r.model}

    def stream():
        events = list(client.responses.create(model=model, input="hello big world", stream=True))
        deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
        done = [e for e in events if e.type == "response.completed"]
        return {"types": sorted({e.type for e in events}), "deltas": deltas,
                "completed_text": done[-1].response.output_text if done else None}  # fmt: skip

    def items():
        r = client.responses.create(model=model, input=[{"role": "user", "content": "as items"}])
        return r.output_text

    return {"create": attempt(create), "stream": attempt(stream), "items": attempt(items)}


def main() -> None:
    kind, base_url, model = sys.argv[1:4]
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=60)
    print(json.dumps(chat(client, model) if kind == "chat" else responses(client, model)))


if __name__ == "__main__":
    main()

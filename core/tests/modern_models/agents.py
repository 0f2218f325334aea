"""Chat and agent models the tests save and serve: an echo that can call one tool."""

from __future__ import annotations

import json

from pyfunc_core import ChatAgent, ChatModel, ResponsesAgent


class EchoChat(ChatModel):
    """Echoes the last message; a request with ``tools`` gets one tool call back."""

    def predict(self, context, messages, params):
        last = messages[-1]
        if params.get("tools"):
            name = params["tools"][0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call-1", "type": "function", "function": {"name": name, "arguments": json.dumps({"q": last["content"]})}}]}  # fmt: skip
            reason = "tool_calls"
        else:
            message, reason = {"role": "assistant", "content": f"echo: {last['content']}"}, "stop"
        return {"model": "echo", "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                "custom_outputs": params.get("custom_inputs")}  # fmt: skip

    def predict_stream(self, context, messages, params):
        words = messages[-1]["content"].split()
        for i, word in enumerate(words):
            delta = {"role": "assistant", "content": word if i == 0 else " " + word}
            yield {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        yield {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


class EchoAgent(ChatAgent):
    def predict(self, messages, context=None, custom_inputs=None):
        reply = {"role": "assistant", "content": f"echo: {messages[-1]['content']}", "id": "m-1"}
        return {"messages": [reply], "custom_outputs": custom_inputs}

    def predict_stream(self, messages, context=None, custom_inputs=None):
        for word in messages[-1]["content"].split():
            yield {"delta": {"role": "assistant", "content": word, "id": "m-1"}}


class EchoResponses(ResponsesAgent):
    def predict(self, request):
        text = _text(request["input"][-1])
        if request.get("tools"):
            name = request["tools"][0]["name"]
            item = self.create_function_call_item("fc-1", "call-1", name, json.dumps({"q": text}))
        else:
            item = self.create_text_output_item(f"echo: {text}", "msg-1")
        return {"output": [item], "custom_outputs": request.get("custom_inputs")}

    def predict_stream(self, request):
        text = _text(request["input"][-1])
        for i, word in enumerate(text.split()):
            yield self.create_text_delta(word if i == 0 else " " + word, "msg-1")
        yield {"type": "response.output_item.done", "item": self.create_text_output_item(text, "msg-1")}


class Counter(ChatAgent):
    """Streams ``custom_inputs["n"]`` small chunks (the streaming tests and bench): ``pause``
    seconds before each chunk after the first, a failure at chunk ``fail_at``, and the index
    at which the stream was closed written to the file ``marker``."""

    def predict(self, messages, context=None, custom_inputs=None):
        return {"messages": [{"role": "assistant", "content": "done", "id": "c"}]}

    def predict_stream(self, messages, context=None, custom_inputs=None):
        import time

        options = custom_inputs or {}
        n, fail_at, pause = int(options.get("n", 3)), options.get("fail_at"), float(options.get("pause", 0))
        i = 0
        try:
            for i in range(n):
                if i == fail_at:
                    raise RuntimeError(f"failed at chunk {i}")
                if pause and i:
                    time.sleep(pause)
                yield {"delta": {"role": "assistant", "content": str(i), "id": "c"}}
        except GeneratorExit:
            if options.get("marker"):
                with open(options["marker"], "w") as f:
                    f.write(str(i))
            raise


def _text(item):
    content = item.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content)
    return content

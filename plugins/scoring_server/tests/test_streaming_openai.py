"""Chat and agent models served: MLflow's unwrapped LLM JSON on /invocations, Server-Sent
Events for ``"stream": true``, and the OpenAI-compatible routes driven by the real ``openai``
client (in a virtualenv of its own) against real servers on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from pyfunc_core import save_model
from pyfunc_core.testing import ServerProcess
from repo_testing import cached_venv

AGENTS = Path(__file__).parents[3] / "core" / "tests" / "modern_models" / "agents.py"
OPENAI_REQUIREMENT = "openai==3.51.0"
CLIENT = Path(__file__).parent / "openai_side" / "client_calls.py"
KINDS = ("EchoChat", "EchoAgent", "EchoResponses", "Counter")


def save_agent(root: Path, cls: str) -> Path:
    source = root / f"{cls.lower()}.py"
    source.write_text(AGENTS.read_text() + f"\nimport pyfunc_core\npyfunc_core.set_model({cls}())\n")
    save_model(root / cls, python_model=source)
    return root / cls


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    root = tmp_path_factory.mktemp("agents")
    started: dict[str, ServerProcess] = {}
    try:
        for cls in KINDS:
            args = ("--timeout", "2", "--batch-max-size", "8") if cls == "Counter" else ()
            started[cls] = ServerProcess(save_agent(root, cls), *args, log=root / f"{cls}.log")
        yield started
    finally:
        for server in started.values():
            server.stop()


def sse(response: requests.Response) -> list[tuple[str | None, str]]:
    """(event, data) of each Server-Sent Event, read as they arrive."""
    events, event, data = [], None, []
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            events.append((event, "\n".join(data)))
            event, data = None, []
    return events


def post(server: ServerProcess, path: str, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(server.url + path, json=body, timeout=30, **kwargs)


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **extra}


def test_unwrapped_llm_json_is_answered_unwrapped(servers: dict[str, ServerProcess]) -> None:
    r = post(servers["EchoAgent"], "/invocations", ask("hi", custom_inputs={"k": 1}))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "messages": [{"role": "assistant", "content": "echo: hi", "id": "m-1"}],
        "custom_outputs": {"k": 1},
    }
    r = post(servers["EchoResponses"], "/invocations", {"input": [{"role": "user", "content": "yo"}]})
    assert r.json()["output"][0]["content"][0]["text"] == "echo: yo"
    r = post(servers["EchoChat"], "/invocations", ask("hey"))
    assert r.json()["choices"][0]["message"]["content"] == "echo: hey"


def test_a_bom_prefixed_llm_body_is_accepted(servers: dict[str, ServerProcess]) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(ask("bom")).encode()
    r = requests.post(servers["EchoAgent"].url + "/invocations", data=body,
                      headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["messages"][0]["content"] == "echo: bom"


def test_bad_llm_requests_get_mlflow_errors(servers: dict[str, ServerProcess]) -> None:
    r = post(servers["EchoAgent"], "/invocations", {"messages": [{"content": "no role"}]})
    assert r.status_code == 400
    assert r.json() == {
        "error_code": "BAD_REQUEST",
        "message": "Missing required properties ['role'] in 'messages'[0]",
    }
    r = requests.post(
        servers["EchoAgent"].url + "/invocations",
        data=b'{"messages": [',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 400 and r.json()["error_code"] == "BAD_REQUEST"


def test_stream_true_answers_server_sent_events(servers: dict[str, ServerProcess]) -> None:
    with post(servers["EchoAgent"], "/invocations", ask("one two three", stream=True), stream=True) as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/event-stream"
        assert "Content-Length" not in r.headers
        events = sse(r)
    assert [json.loads(d)["delta"]["content"] for _, d in events[:-1]] == ["one", "two", "three"]
    assert events[-1] == (None, "[DONE]")
    with post(
        servers["EchoResponses"],
        "/invocations",
        {"input": [{"role": "user", "content": "a b"}], "stream": True},
        stream=True,
    ) as r:
        types = [json.loads(d)["type"] for _, d in sse(r)[:-1]]
    assert types == ["response.output_text.delta", "response.output_text.delta", "response.output_item.done"]


def test_many_chunks_arrive_in_order_through_batching_server(servers: dict[str, ServerProcess]) -> None:
    with post(
        servers["Counter"], "/invocations", ask("x", stream=True, custom_inputs={"n": 500}), stream=True
    ) as r:
        events = sse(r)
    assert [json.loads(d)["delta"]["content"] for _, d in events[:-1]] == [str(i) for i in range(500)]


def test_failure_after_the_first_chunk_is_an_error_event(servers: dict[str, ServerProcess]) -> None:
    with post(
        servers["Counter"],
        "/invocations",
        ask("x", stream=True, custom_inputs={"n": 5, "fail_at": 2}),
        stream=True,
    ) as r:
        assert r.status_code == 200
        events = sse(r)
    assert [json.loads(d)["delta"]["content"] for _, d in events[:2]] == ["0", "1"]
    event, data = events[2]
    assert event == "error" and len(events) == 3
    assert json.loads(data)["error_code"] == "BAD_REQUEST"  # MLflow's code for a model's failure
    assert "RuntimeError: failed at chunk 2" in json.loads(data)["message"]


def test_failure_before_the_first_chunk_is_a_json_error(servers: dict[str, ServerProcess]) -> None:
    r = post(servers["Counter"], "/invocations", ask("x", stream=True, custom_inputs={"n": 5, "fail_at": 0}))
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/json"
    assert "RuntimeError: failed at chunk 0" in r.json()["message"]


def test_the_timeout_bounds_the_time_between_chunks(servers: dict[str, ServerProcess]) -> None:
    with post(
        servers["Counter"],
        "/invocations",
        ask("x", stream=True, custom_inputs={"n": 3, "pause": 4}),
        stream=True,
    ) as r:
        events = sse(r)
    assert json.loads(events[0][1])["delta"]["content"] == "0"
    assert events[1][0] == "error" and json.loads(events[1][1])["error_code"] == "DEADLINE_EXCEEDED"
    assert "no chunk within the 2s timeout" in json.loads(events[1][1])["message"]


def test_a_client_that_disconnects_stops_the_generator(
    servers: dict[str, ServerProcess], tmp_path: Path
) -> None:
    marker = tmp_path / "closed-at"
    body = json.dumps(
        ask("x", stream=True, custom_inputs={"n": 100000, "pause": 0.01, "marker": str(marker)})
    ).encode()
    port = int(servers["Counter"].url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
        received = b""
        while b"data: " not in received:
            received += sock.recv(4096)
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the model's generator was not closed after the client left"
    assert int(marker.read_text()) < 100000 - 1


def test_a_model_without_predict_stream_answers_whole(
    servers: dict[str, ServerProcess], tmp_path: Path
) -> None:
    r = post(servers["Counter"], "/invocations", {"dataframe_split": {"columns": ["a"], "data": [[1]]}})
    assert r.status_code == 400  # not a request object for a chat agent: one clear line
    assert r.json()["error_code"] == "BAD_REQUEST"


def test_metrics_count_streams(servers: dict[str, ServerProcess]) -> None:
    with post(
        servers["Counter"], "/invocations", ask("x", stream=True, custom_inputs={"n": 7}), stream=True
    ) as r:
        sse(r)
    text = requests.get(servers["Counter"].url + "/metrics", timeout=30).text
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert float(values["pyfunc_stream_chunks_count"]) >= 1
    assert float(values["pyfunc_stream_first_chunk_seconds_count"]) >= 1
    assert float(values["pyfunc_streams_in_flight"]) == 0


def test_openapi_documents_the_openai_routes(servers: dict[str, ServerProcess]) -> None:
    chat = requests.get(servers["EchoChat"].url + "/openapi.json", timeout=30).json()["paths"]
    assert "/v1/chat/completions" in chat and "/v1/responses" not in chat
    agent = requests.get(servers["EchoResponses"].url + "/openapi.json", timeout=30).json()["paths"]
    assert "/v1/responses" in agent
    body = agent["/invocations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["oneOf"][0]["required"] == ["input"]


def test_openai_content_parts_are_joined_into_text(servers: dict[str, ServerProcess]) -> None:
    parts = [{"type": "text", "text": "two "}, {"type": "text", "text": "parts"}]
    for cls in ("EchoChat", "EchoAgent"):
        r = post(
            servers[cls],
            "/v1/chat/completions",
            {"model": cls, "messages": [{"role": "user", "content": parts}]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "echo: two parts"


def test_openai_routes_refuse_the_wrong_kind_of_model(servers: dict[str, ServerProcess]) -> None:
    r = post(servers["EchoResponses"], "/v1/chat/completions", {"model": "EchoResponses", **ask("x")})
    assert r.status_code == 400 and "use POST /v1/responses" in r.json()["error"]["message"]
    r = post(servers["EchoChat"], "/v1/responses", {"model": "EchoChat", "input": "x"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


@pytest.fixture(scope="module")
def openai_python() -> Path:
    if sys.version_info < (3, 10):
        pytest.skip(f"{OPENAI_REQUIREMENT} needs Python 3.10+")
    return cached_venv("openai-client", [OPENAI_REQUIREMENT], check="import openai")


def run_client(python: Path, kind: str, server: ServerProcess, model: str) -> dict[str, Any]:
    done = subprocess.run([str(python), str(CLIENT), kind, server.url + "/v1", model],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("cls", ["EchoChat", "EchoAgent"])
def test_openai_client_chat_completions(
    servers: dict[str, ServerProcess], openai_python: Path, cls: str
) -> None:
    calls = run_client(openai_python, "chat", servers[cls], cls)
    assert calls["create"] == {"ok": {"content": "echo: hello big world", "finish": "stop", "model": cls}}
    pieces = calls["stream"]["ok"]
    assert "".join(pieces) in ("hello big world", "hellobigworld") and len(pieces) == 3
    if cls == "EchoChat":  # the chat model calls the tool it is offered
        assert calls["tools"] == {"ok": [{"name": "lookup", "arguments": {"q": "hello big world"}}]}
    assert calls["wrong_model"]["error"].startswith("NotFoundError: 404")


def test_openai_client_responses(servers: dict[str, ServerProcess], openai_python: Path) -> None:
    calls = run_client(openai_python, "responses", servers["EchoResponses"], "EchoResponses")
    assert calls["create"] == {"ok": {"text": "echo: hi", "status": "completed", "model": "EchoResponses"}}
    stream = calls["stream"]["ok"]
    assert stream["deltas"] == ["hello", " big", " world"]
    assert stream["completed_text"] == "hello big world"
    assert {"response.created", "response.output_text.delta", "response.output_item.done",
            "response.completed"} == set(stream["types"])  # fmt: skip
    assert calls["items"] == {"ok": "echo: as items"}


def test_sigterm_lets_an_open_stream_finish_with_two_workers(tmp_path: Path) -> None:
    server = ServerProcess(save_agent(tmp_path, "Counter"), "--workers", "2", log=tmp_path / "server.log")
    got: list[str] = []
    try:
        body = ask("x", stream=True, custom_inputs={"n": 40, "pause": 0.05})
        with post(server, "/invocations", body, stream=True) as r:
            for line in r.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    got.append(line[6:])
                    if len(got) == 1:
                        server.terminate()  # draining starts while the stream is open
    finally:
        code = server.stop()
    assert [json.loads(d)["delta"]["content"] for d in got[:-1]] == [str(i) for i in range(40)]
    assert got[-1] == "[DONE]" and code == 0

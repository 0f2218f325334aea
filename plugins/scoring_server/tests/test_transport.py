"""The waitress behaviours ``http/transport.py`` relies on, against the installed waitress.

transport.py subclasses waitress's parser, task and channel (``waitress>=3,<4``); these tests
run the real ``HttpServer`` on 127.0.0.1 with a small WSGI app and check what the subclasses
promise: the arrival stamp in the environ, each response written in one piece, waitress's own
refusals as JSON, and a drain that answers the request in flight.
"""

from __future__ import annotations

import http.client
import json
import threading
from time import perf_counter
from typing import Any, Callable, Iterator

import pytest

from pyfunc_scoring_server.http.transport import ARRIVED, HttpServer, _Channel, bind_socket

LIMIT = 1024


class _Served:
    def __init__(self, app: Callable[..., Any]) -> None:
        self.writes: list[bytes] = []
        sock = bind_socket("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.server = HttpServer(app, sock, threads=2, max_body_size=LIMIT, is_idle=lambda: True)
        writes = self.writes

        class Recording(_Channel):  # waitress's own channel, with its writes recorded
            def write_soon(self, data: bytes) -> int:
                if data:
                    writes.append(bytes(data))
                return super().write_soon(data)

        self.server.server.channel_class = Recording
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body)
            answer = conn.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            conn.close()


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps({"arrived": environ.get(ARRIVED), "now": perf_counter()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def served() -> Iterator[_Served]:
    served = _Served(_app)
    yield served
    served.server.drain(5.0)
    served.thread.join(10)
    assert not served.thread.is_alive()


def test_the_environ_carries_when_the_request_had_arrived(served: _Served) -> None:
    status, _, body = served.request("GET", "/")
    assert status == 200
    answer = json.loads(body)
    assert isinstance(answer["arrived"], float)
    assert 0 < answer["arrived"] <= answer["now"]


def test_transport_sends_each_response_in_one_write(served: _Served) -> None:
    for _ in range(3):
        status, headers, body = served.request("GET", "/")
        assert status == 200
        assert headers["Content-Length"] == str(len(body))
    responses = [w for w in served.writes if w.startswith(b"HTTP/1.1 ")]
    assert len(responses) == 3
    assert served.writes == responses  # no header written apart from its body
    assert all(w.endswith(b"}") for w in responses)


def test_waitress_refusals_are_mlflow_json(served: _Served) -> None:
    status, headers, body = served.request("POST", "/", b"x" * (LIMIT + 1))
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["error_code"] == "REQUEST_ENTITY_TOO_LARGE"
    assert f"{LIMIT} bytes" in error["message"]


def test_a_drain_answers_the_request_in_flight() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        entered.set()
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]

    served = _Served(slow)
    answers: list[Any] = []
    client = threading.Thread(target=lambda: answers.append(served.request("GET", "/")))
    client.start()
    assert entered.wait(10)
    served.server.drain(10.0)  # stops accepting; the request in flight is still answered
    release.set()
    client.join(10)
    served.thread.join(10)
    assert not served.thread.is_alive()
    status, headers, body = answers[0]
    assert (status, body) == (200, b"done")
    assert headers.get("Connection") == "close"  # a draining worker closes after its answer

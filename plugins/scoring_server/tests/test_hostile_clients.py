"""A hostile client against a real server: no 5xx for its mistakes, no memory it can keep,
no echo of what it sent, and HTTP that keep-alive clients can rely on."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from typing import Any

import pytest
import requests

MAX_BODY = 16 * 1024 * 1024
JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}
LARGE = 64 * 1024  # the numeric path's threshold (pyfunc_core.codecs.json_numeric.MIN_BODY)


@pytest.fixture(scope="module")
def server(start_server: Any, models: dict) -> Any:
    return start_server(models["score"], "--name", "score", "--max-body-size", str(MAX_BODY))


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def split_text(rows: list[str], columns: str = '"a", "b"') -> bytes:
    return ('{"dataframe_split": {"columns": [' + columns + '], "data": [' + ", ".join(rows) + "]}}").encode()


def small_and_large(odd_row: str) -> tuple[bytes, bytes]:
    """The same odd row in a small body and in one large enough for the numeric path."""
    small = split_text(["[1.5, 2.5]", odd_row])
    large = split_text(["[1.5, 2.5]"] * (LARGE // 10) + [odd_row])
    assert len(small) < LARGE <= len(large)
    return small, large


def post(server: Any, path: str, body: bytes, headers: dict[str, str] = JSON) -> Any:
    return requests.post(server.url + path, data=body, headers=headers, timeout=60)


def assert_client_error(resp: Any, *needles: str) -> dict[str, Any]:
    assert 400 <= resp.status_code < 500, resp.text[:300]
    body = resp.json()
    message = body.get("message", body.get("error", ""))
    assert "Traceback" not in resp.text
    for needle in needles:
        assert needle in message, message
    return body


V2_DEEP_BYTES = (
    '{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ' + nested(990, '"x"') + "}]}"
)
V2 = "/v2/models/score/infer"

MISTAKES = [
    ("/invocations", split_text([nested(1100)])),
    ("/invocations", split_text(["[1.5, 2.5]"] * (LARGE // 10) + [nested(1100)])),
    ("/invocations", json.dumps({"dataframe_split": {"columns": [["a"], ["b"]], "data": [[1, 2]]}}).encode()),
    (
        "/invocations",
        json.dumps({"dataframe_split": {"columns": [{}], "data": [[1]], "index": [0]}}).encode(),
    ),
    (
        "/invocations",
        json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]], "index": [[0]]}}).encode(),
    ),
    (
        "/invocations",
        json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [1]]}}).encode(),
    ),
    (V2, V2_DEEP_BYTES.encode()),
    (V2, json.dumps({"inputs": [{"name": "a", "datatype": {}, "shape": [1], "data": [1]}]}).encode()),
    (V2, json.dumps({"inputs": [{"name": "a", "datatype": ["FP64"], "shape": [1], "data": [1]}]}).encode()),
    (V2, json.dumps({"inputs": [{"name": "a", "datatype": "FP64", "shape": [True], "data": [1]}]}).encode()),
]


@pytest.mark.parametrize(("path", "body"), MISTAKES, ids=[
    "deep-small", "deep-large", "list-columns", "object-columns-with-index", "list-index", "ragged-rows",
    "v2-deep-bytes", "v2-datatype-object", "v2-datatype-list", "v2-boolean-shape"])  # fmt: skip
def test_client_mistakes_are_4xx_never_5xx(server: Any, path: str, body: bytes) -> None:
    resp = post(server, path, body)
    assert_client_error(resp)
    if path == "/invocations":
        assert resp.json()["error_code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "odd_row",
    [nested(1100), "[1, 123456789012345678901234567890]", "[1, -123456789012345678901234567890]",
     "[true, 1.5]", "[null, 1.5]", "[1.5]", "[1.5, 2.5, 3.5]", '["1", 2]', "[1e999, 1]", "[[1.5, 2.5]]"],
    ids=["deep", "wide-int", "wide-negative-int", "boolean", "null", "short", "long", "string", "overflow",
         "nested-row"],
)  # fmt: skip
def test_small_and_large_bodies_get_the_same_answer(server: Any, odd_row: str) -> None:
    small, large = small_and_large(odd_row)
    small_resp, large_resp = post(server, "/invocations", small), post(server, "/invocations", large)
    assert small_resp.status_code < 500 and large_resp.status_code < 500, (small_resp.text, large_resp.text)
    assert small_resp.status_code == large_resp.status_code, (small_resp.text, large_resp.text[:300])
    if small_resp.status_code == 200:
        assert str(small_resp.json()["predictions"][-1]) == str(large_resp.json()["predictions"][-1])
    else:
        assert small_resp.json()["error_code"] == large_resp.json()["error_code"]


def test_booleans_are_not_numbers(server: Any) -> None:
    for payload in (
        {"dataframe_split": {"columns": ["a", "b"], "data": [[True, 1.5]]}},
        {"dataframe_split": {"columns": ["a", "b"], "data": [[True, False]]}},
        {"dataframe_records": [{"a": 1.0, "b": False}]},
        {"inputs": {"a": [True], "b": [1.0]}},
    ):
        resp = post(server, "/invocations", json.dumps(payload).encode())
        assert_client_error(resp, "Can not safely convert bool to float64")


def test_a_leading_bom_is_accepted_on_every_path(server: Any) -> None:
    bom = b"\xef\xbb\xbf"
    small, large = small_and_large("[1.5, 2.5]")
    assert post(server, "/invocations", bom + small).json()["predictions"] == [4.0, 4.0]
    assert post(server, "/invocations", bom + large).status_code == 200
    assert post(server, "/invocations", bom + b"a,b\n1,2\n", CSV).json() == {"predictions": [3.0]}
    v2 = {"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": [1]},
                     {"name": "b", "datatype": "FP64", "shape": [1], "data": [2]}]}  # fmt: skip
    assert post(server, V2, bom + json.dumps(v2).encode()).status_code == 200


def test_a_short_csv_row_is_a_parse_error_naming_the_line(server: Any) -> None:
    for body, line in ((b"a,b\n1,2\n3\n", 3), (b'a,b\n"1",2\n\n3\n', 4), (b"a,b\r\n1,2\r\n3\r\n", 3)):
        assert_client_error(post(server, "/invocations", body, CSV), f"CSV line {line} has 1 fields")
    # an empty field is a missing value, not a short row
    assert post(server, "/invocations", b"a,b\n1,\n", CSV).status_code == 200
    # nor does a longer row make its first field an index (as pandas does when all rows are longer)
    assert_client_error(post(server, "/invocations", b"a,b\n1,2,3\n", CSV), "CSV line 2 has 3 fields")


# -- what an error message may repeat of the request ----------------------------------------------


def longest_run(text: str, char: str) -> int:
    return max((len(m) for m in re.findall(re.escape(char) + "+", text)), default=0)


ECHOES = [
    ("/invocations", {"k" * 900: 1}, "k"),
    ("/invocations", {"dataframe_split": {"columns": ["a", "c" * 900], "data": [[1, 2]]}}, "c"),
    ("/invocations", {"dataframe_split": {"columns": ["a", "b", "e" * 900], "data": [[1, 2, 3]], "z" * 900: 1}}, "z"),
    ("/invocations", {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}, "params": {"multiplier": "m" * 900}}, "m"),
    ("/invocations", {"dataframe_records": [{"a": "q" * 900, "b": 1}]}, "q"),
    ("/invocations", {"instances": [{"a": 1, "b": 2}, {"w" * 900: 1}]}, "w"),
    (V2, {"inputs": [{"name": "n" * 900, "datatype": "FP64", "shape": [2], "data": [1]}]}, "n"),
    (V2, {"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": ["v" * 900]}]}, "v"),
    (V2, {"inputs": [{"name": "d" * 900, "datatype": "FP64", "shape": [1], "data": [1]},
                     {"name": "d" * 900, "datatype": "FP64", "shape": [1], "data": [1]}]}, "d"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "payload", "char"), ECHOES, ids=[
    "key", "missing-column", "split-key", "param-value", "record-value", "instance-key", "v2-name", "v2-data",
    "v2-duplicate"])  # fmt: skip
def test_errors_quote_at_most_200_bytes_of_the_request(
    server: Any, path: str, payload: Any, char: str
) -> None:
    resp = post(server, path, json.dumps(payload).encode())
    assert_client_error(resp)
    assert longest_run(resp.text, char) <= 200, resp.text


def test_headers_and_paths_are_not_echoed_either(server: Any) -> None:
    resp = requests.post(server.url + "/invocations", data=b"{}", headers={"Content-Type": "text/" + "h" * 900},
                         timeout=30)  # fmt: skip
    assert resp.status_code == 415 and longest_run(resp.text, "h") <= 200
    resp = requests.get(server.url + "/" + "p" * 900, timeout=30)
    assert resp.status_code == 404 and longest_run(resp.text, "p") <= 200
    resp = requests.request("P" * 900, server.url + "/ping", timeout=30)
    assert resp.status_code in (400, 405, 501) and longest_run(resp.text, "P") <= 200
    deadline = time.monotonic() + 10  # nor the access log (written in batches)
    while '"PPPPPPPPPPPPPPPP... /ping"' not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert '"PPPPPPPPPPPPPPPP... /ping"' in server.output() and longest_run(server.output(), "P") <= 200


# -- HTTP ------------------------------------------------------------------------------------------


def test_head_sends_headers_only_and_keeps_the_connection_usable(server: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for path in (
            "/ping",
            "/version",
            "/openapi.json",
            "/metrics",
            "/v2/health/live",
            "/invocations",
            "/nope",
        ):
            conn.request("GET", path)
            get = conn.getresponse()
            get_body = get.read()
            conn.request("HEAD", path)
            head = conn.getresponse()
            assert head.read() == b""
            assert head.status == get.status
            if path != "/metrics":  # (its body changes between the two requests)
                assert int(head.getheader("Content-Length")) == len(get_body)
            conn.request("GET", "/ping")  # the same connection still speaks HTTP
            after = conn.getresponse()
            assert (after.status, after.read()) == (200, b"\n")
    finally:
        conn.close()


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, Any]]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_transport_errors_have_fitting_codes(server: Any) -> None:
    status, body = raw_exchange(
        server.port, b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 300_000 + b"\r\n\r\n"
    )
    assert (status, body["error_code"]) == (431, "REQUEST_HEADER_FIELDS_TOO_LARGE")
    assert longest_run(body["message"], "b") <= 200
    status, body = raw_exchange(
        server.port,
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n",
    )
    assert (status, body["error_code"]) == (501, "NOT_IMPLEMENTED")


def test_the_413_message_names_the_limit(start_server: Any, models: dict) -> None:
    limit = 4096
    small = start_server(models["score"], "--max-body-size", str(limit))
    at_limit = b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}'
    at_limit += b" " * (limit - len(at_limit))
    assert post(small, "/invocations", at_limit).status_code == 200
    for over in (at_limit + b" ", iter([at_limit, b" "])):  # with a Content-Length, and chunked
        resp = requests.post(small.url + "/invocations", data=over, headers=JSON, timeout=30)
        body = assert_client_error(resp, f"larger than the {limit} bytes")
        assert resp.status_code == 413 and body["error_code"] == "REQUEST_ENTITY_TOO_LARGE"
        assert str(limit + 1) not in body["message"]


def test_predicted_rows_are_counted_without_batching(server: Any) -> None:
    def rows_total() -> float:
        text = requests.get(server.url + "/metrics", timeout=30).text
        found = re.search(r"^pyfunc_predicted_rows_total (\S+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    before = rows_total()
    assert post(server, "/invocations", split_text(["[1, 2]"] * 7)).status_code == 200
    assert rows_total() == before + 7


# -- memory a client controls ----------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


def settled_rss(pid: int) -> int:
    """RSS once the worker's post-burst heap trim has run (it waits for ~1 s of idleness)."""
    time.sleep(1.5)
    last = rss_kib(pid)
    for _ in range(20):  # bounded: until two readings agree within 512 KiB
        time.sleep(0.25)
        now = rss_kib(pid)
        if abs(now - last) < 512:
            return now
        last = now
    return last


def test_bad_requests_with_huge_names_leave_no_memory_behind(server: Any) -> None:
    name_size = 2 * 1024 * 1024

    def burst(count: int, tag: str) -> None:
        with requests.Session() as session:
            for i in range(count):
                name = f"{tag}{i}-" + "n" * name_size  # a new name each time: no cache may keep it
                bodies = (
                    # a missing column (400), and an extra one (ignored with a warning) in one body each
                    json.dumps({"dataframe_split": {"columns": ["a", name], "data": [[1, 2]]}}),
                    json.dumps({"dataframe_split": {"columns": ["a", "b", name], "data": [[1, 2, 3]]}}),
                    json.dumps({"dataframe_records": [{"a": 1, name: 2}]}),
                    json.dumps({"inputs": [{"name": name, "datatype": "FP64", "shape": [1], "data": [1]}]}),
                )
                for body, path in zip(bodies, ("/invocations", "/invocations", "/invocations", V2)):
                    resp = session.post(server.url + path, data=body, headers=JSON, timeout=60)
                    assert resp.status_code < 500, resp.text[:300]

    pid = server.proc.pid
    burst(5, "warm")  # the first large bodies size the allocator's pools
    before = settled_rss(pid)
    burst(100, "burst")
    after = settled_rss(pid)
    assert after - before < 8 * 1024, f"RSS grew by {(after - before) / 1024:.1f} MiB after 100 bad requests"

"""``/invocations`` and the plain endpoints against a real single-worker server."""

from __future__ import annotations

import io
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from pyfunc_core import __version__ as core_version

MAX_BODY = 8192
MARKER = "zz-secret-marker-zz"


@pytest.fixture(scope="module")
def server(start_server: Any, models: dict) -> Any:
    return start_server(models["score"], "--timeout", "1.5", "--max-body-size", str(MAX_BODY))


def split_body(a: list[float], b: list[float], **extra: Any) -> dict[str, Any]:
    return {"dataframe_split": {"columns": ["a", "b"], "data": [list(r) for r in zip(a, b)]}, **extra}


def assert_error(resp: Any, status: int, code: str, *needles: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == code
    for needle in needles:
        assert needle in body["message"], body["message"]
    assert "Traceback" not in resp.text
    return body


# -- the scoring formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3.5, 4]]}},
        {"dataframe_split": {"columns": ["b", "a"], "data": [[2, 1], [4, 3.5]], "index": [7, 8]}},
        {"dataframe_records": [{"a": 1, "b": 2}, {"a": 3.5, "b": 4}]},
        {"instances": [{"a": 1, "b": 2}, {"a": 3.5, "b": 4}]},
        {"inputs": {"a": [1, 3.5], "b": [2, 4]}},
    ],
    ids=["split", "split-reordered-with-index", "records", "instances", "inputs"],
)
def test_json_formats(server: Any, payload: dict[str, Any]) -> None:
    resp = server.post("/invocations", payload)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.content == b'{"predictions": [3.0, 7.5]}'  # MLflow's exact bytes


def test_params_are_applied_and_checked(server: Any) -> None:
    resp = server.post("/invocations", split_body([1, 2], [10, 20], params={"multiplier": 3}))
    assert resp.json() == {"predictions": [13.0, 26.0]}
    bad = server.post("/invocations", split_body([1], [1], params={"multiplier": "three"}))
    assert_error(bad, 400, "INVALID_PARAMETER_VALUE", "multiplier")
    not_object = server.post("/invocations", split_body([1], [1], params=[1, 2]))
    assert_error(not_object, 400, "BAD_REQUEST", "params")


def test_csv(server: Any) -> None:
    resp = server.post("/invocations", data="a,b\n1,2\n3,4\n", headers={"Content-Type": "text/csv"})
    assert resp.json() == {"predictions": [3.0, 7.0]}
    bad = server.post("/invocations", data="a,b\n1,x\n", headers={"Content-Type": "text/csv"})
    assert_error(bad, 400, "BAD_REQUEST", "CSV")


def test_parquet(server: Any) -> None:
    buf = io.BytesIO()
    pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.25]}).to_parquet(buf)
    resp = server.post(
        "/invocations", data=buf.getvalue(), headers={"Content-Type": "application/vnd.apache.parquet"}
    )
    assert resp.json() == {"predictions": [1.5, 2.25]}
    bad = server.post(
        "/invocations", data=b"not parquet", headers={"Content-Type": "application/vnd.apache.parquet"}
    )
    assert_error(bad, 400, "BAD_REQUEST", "Parquet")


# -- content types ---------------------------------------------------------------------------


def test_charset_utf8_is_accepted(server: Any) -> None:
    body = json.dumps(split_body([1], [1]))
    resp = server.post("/invocations", data=body, headers={"Content-Type": "application/json; charset=UTF-8"})
    assert resp.json() == {"predictions": [2.0]}


@pytest.mark.parametrize(
    "content_type, needle",
    [
        ("application/json; charset=latin-1", "UTF-8"),
        ("application/json; format=pandas-split", "format"),
        ("text/plain", "text/plain"),
        ("", "content types"),
    ],
    ids=["charset", "unknown-parameter", "unknown-type", "missing"],
)
def test_unsupported_content_types(server: Any, content_type: str, needle: str) -> None:
    body = json.dumps(split_body([1], [1])).encode()
    resp = requests.post(
        server.url + "/invocations", data=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE", needle)


# -- bad input -------------------------------------------------------------------------------


def test_malformed_json_never_echoes(server: Any) -> None:
    resp = server.post(
        "/invocations", data='{"dataframe_split": ' + MARKER, headers={"Content-Type": "application/json"}
    )
    assert_error(resp, 400, "BAD_REQUEST", "JSON")
    assert MARKER not in resp.text


@pytest.mark.parametrize(
    "payload, needle",
    [
        ({"dataframe_split": {"columns": ["a"], "data": [[1]]}}, "missing inputs ['b']"),
        ({"dataframe_records": [{"a": "x", "b": 1}]}, "column a"),
        ({"dataframe_split": {"columns": ["a", "b"], "data": "rows"}}, "list of rows"),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}, "inputs": [1]}, "exactly one"),
        ({"predict": [[1, 2]]}, "exactly one"),
        ([[1, 2]], "list"),
    ],
    ids=["missing-column", "wrong-type", "data-not-list", "two-formats", "no-format", "bare-list"],
)
def test_bad_input_is_400_naming_the_problem(server: Any, payload: Any, needle: str) -> None:
    resp = server.post("/invocations", payload)
    assert_error(resp, 400, "BAD_REQUEST", needle)


def test_oversized_body_is_413(server: Any) -> None:
    rows = [[float(i), float(i)] for i in range(2000)]
    resp = server.post(
        "/invocations",
        {"dataframe_split": {"columns": ["a", "b"], "data": rows}},
        headers={"X-Request-ID": "big-1"},
    )
    assert_error(resp, 413, "REQUEST_ENTITY_TOO_LARGE")
    assert resp.headers["X-Request-ID"] == "big-1"
    # a chunked body has no Content-Length to refuse it by
    chunks = (b'{"dataframe_split": {"columns": ["a", "b"], "data": [' + b"[1, 1], " * 2000 + b"[1, 1]]}}",)
    chunked = server.post("/invocations", data=iter(chunks), headers={"Content-Type": "application/json"})
    assert_error(chunked, 413, "REQUEST_ENTITY_TOO_LARGE")
    assert server.post("/invocations", split_body([1], [1])).status_code == 200


def test_model_exception_is_an_error_and_the_server_keeps_serving(server: Any) -> None:
    resp = server.post("/invocations", split_body([-1, 2], [0, 0]))
    body = assert_error(resp, 400, "BAD_REQUEST", "negative a is not allowed", "ValueError")
    assert "stack_trace" not in body
    assert server.post("/invocations", split_body([1], [1])).json() == {"predictions": [2.0]}


def test_timeout_is_504_json_and_the_server_stays_healthy(server: Any) -> None:
    resp = server.post("/invocations", split_body([1], [1], params={"sleep": 4.0}))
    assert_error(resp, 504, "DEADLINE_EXCEEDED", "timeout")
    assert server.get("/ping").status_code == 200
    assert server.post("/invocations", split_body([2], [2])).json() == {"predictions": [4.0]}


# -- routes, ids, logs -----------------------------------------------------------------------


def test_ping_health_version(server: Any) -> None:
    for path in ("/ping", "/health"):
        resp = server.get(path)
        assert resp.status_code == 200
        assert resp.text == "\n"
    assert server.get("/version").text == core_version
    assert requests.head(server.url + "/ping", timeout=30).status_code == 200


def test_unknown_route_and_wrong_method(server: Any) -> None:
    assert_error(server.get("/nope"), 404, "RESOURCE_DOES_NOT_EXIST", "/nope")
    wrong = server.get("/invocations")
    assert_error(wrong, 405, "METHOD_NOT_ALLOWED", "POST")
    assert wrong.headers["Allow"] == "POST"
    assert_error(server.post("/ping", data=b""), 405, "METHOD_NOT_ALLOWED")


def test_every_route_of_the_table_is_served_counted_and_documented(server: Any) -> None:
    """One route table feeds dispatch, the metrics labels and /openapi.json."""
    from pyfunc_scoring_server.http.routes import ROUTES

    doc = server.get("/openapi.json").json()
    name = doc["paths"]["/v2/models/{name}"]["get"]["parameters"][0]["schema"]["enum"][0]
    for route in ROUTES:
        path = route.path.replace("{name}", name).replace("{version}", "1")
        if route.method == "GET":
            answer = server.get(path)
        else:
            answer = server.post(path, data=b"{}", headers={"Content-Type": "application/json"})
        assert answer.status_code not in (404, 405), (route.path, answer.status_code, answer.text)
    server.get("/ping")  # the /metrics request above is counted once it has been answered
    text = server.get("/metrics").text
    for route in ROUTES:
        assert (
            metric(text, "pyfunc_requests_total", endpoint=route.label, status="200")
            + metric(text, "pyfunc_requests_total", endpoint=route.label, status="400")
            >= 1
        ), route.label
    assert all("{version}" not in r.label for r in ROUTES)  # versions share their route's label
    table = {(r.path, r.method.lower()) for r in ROUTES}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented and documented <= table


def test_request_ids_and_access_log(server: Any) -> None:
    given = server.post("/invocations", split_body([1], [1]), headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    fresh = {server.get("/ping").headers["X-Request-ID"] for _ in range(5)}
    assert len(fresh) == 5
    unsafe = server.get("/ping", headers={"X-Request-ID": "bad id with spaces"})
    assert unsafe.headers["X-Request-ID"] != "bad id with spaces"
    errors = server.get("/nope", headers={"X-Request-ID": "err-1"})
    assert errors.headers["X-Request-ID"] == "err-1"
    deadline = time.monotonic() + 10  # the access log is written in batches
    wanted = ("rid=err-1", "rid=abc-123")  # each worker writes its own access log: wait for both
    while not all(w in server.output() for w in wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.output()
    lines = [line for line in log.splitlines() if "rid=abc-123" in line]
    assert len(lines) == 1 and '"POST /invocations" 200' in lines[0]
    assert any('"GET /nope" 404' in line and "rid=err-1" in line for line in log.splitlines())
    assert any('"POST /invocations" 413' in line and "rid=big-1" in line for line in log.splitlines())


def test_many_clients_get_their_own_answers(server: Any) -> None:
    def client(k: int) -> list[tuple[Any, Any]]:
        out = []
        with requests.Session() as session:
            for i in range(20):
                a = [k * 1000.0 + i, k * 1000.0 + i + 0.5]
                resp = session.post(server.url + "/invocations", json=split_body(a, [1.0, 2.0]), timeout=30)
                out.append((resp.json(), {"predictions": [a[0] + 1.0, a[1] + 2.0]}))
        return out

    with ThreadPoolExecutor(16) as pool:
        results = [pair for chunk in pool.map(client, range(16)) for pair in chunk]
    assert len(results) == 320
    assert all(got == want for got, want in results)


# -- metrics and OpenAPI ---------------------------------------------------------------------


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus exposition text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.fullmatch(r"([^{\s]+)(\{(.*)\})? (\S+)", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    return 0.0


def test_metrics(server: Any) -> None:
    before = server.get("/metrics")
    assert before.status_code == 200
    assert before.headers["Content-Type"].startswith("text/plain")
    start = metric(before.text, "pyfunc_requests_total", endpoint="/invocations", status="200")
    for i in range(3):
        server.post("/invocations", split_body([i], [i]))
    server.post("/invocations", split_body([-1], [0]))
    text = server.get("/metrics").text
    assert metric(text, "pyfunc_requests_total", endpoint="/invocations", status="200") == start + 3
    assert metric(text, "pyfunc_requests_total", endpoint="/invocations", status="400") >= 1
    assert metric(text, "pyfunc_request_duration_seconds_count", endpoint="/invocations") >= start + 4
    assert metric(text, "pyfunc_model_load_seconds") > 0
    assert "pyfunc_queue_depth" in text and "pyfunc_batch_rows" in text
    assert metric(text, "pyfunc_requests_total", endpoint="unknown", status="404") >= 0


def test_openapi_is_derived_from_the_signature(server: Any) -> None:
    doc = server.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/invocations", "/ping", "/health", "/version", "/metrics", "/v2/models/{name}/infer"):
        assert path in doc["paths"]
    schema = doc["paths"]["/invocations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    split = next(f for f in schema["oneOf"] if "dataframe_split" in f["properties"])
    assert split["properties"]["dataframe_split"]["properties"]["columns"]["items"]["enum"] == ["a", "b"]
    records = next(f for f in schema["oneOf"] if "dataframe_records" in f["properties"])
    props = records["properties"]["dataframe_records"]["items"]["properties"]
    assert props == {"a": {"type": "number"}, "b": {"type": "number"}}
    params = split["properties"]["params"]["properties"]
    assert params["multiplier"] == {"type": "number", "default": 1.0}
    v2 = doc["paths"]["/v2/models/{name}/infer"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert [t["name"] for t in v2["x-model-inputs"]] == ["a", "b"]


def test_logistic_regression_matches_in_process_predictions(start_server: Any, models: dict) -> None:
    from pyfunc_core import load_model

    server = start_server(models["logreg"])
    rows = np.random.default_rng(3).normal(size=(50, 20))
    frame = pd.DataFrame(rows, columns=[f"f{i}" for i in range(20)])
    want = load_model(models["logreg"]).predict(frame).tolist()
    resp = server.post("/invocations", {"dataframe_split": frame.to_dict(orient="split")})
    assert resp.json() == {"predictions": want}
    records = server.post("/invocations", {"dataframe_records": frame.to_dict(orient="records")})
    assert records.json() == {"predictions": want}
    assert server.stop() == 0

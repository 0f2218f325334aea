"""Adaptive batching, several workers, and draining on SIGTERM, against real servers."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from pyfunc_core import PythonModel, save_model

from .test_invocations import metric, split_body


def probe_request(url: str, a: list[int], session: Any = None) -> Any:
    body = {"dataframe_split": {"columns": ["a"], "data": [[v] for v in a]}}
    return (session or requests).post(url + "/invocations", json=body, timeout=30)


@pytest.fixture(scope="module")
def batching(start_server: Any, models: dict) -> Any:
    return start_server(
        models["probe"], "--batch-max-size", "64", "--batch-max-wait-ms", "50", "--threads", "16"
    )


def test_batched_requests_get_their_own_rows(batching: Any) -> None:
    def client(k: int) -> list[tuple[Any, list[int]]]:
        out = []
        with requests.Session() as session:
            for i in range(15):
                a = [k * 1000 + i * 10 + j for j in range(1 + (k + i) % 3)]
                out.append((probe_request(batching.url, a, session), a))
        return out

    with ThreadPoolExecutor(16) as pool:
        results = [pair for chunk in pool.map(client, range(16)) for pair in chunk]
    assert len(results) == 240
    for resp, a in results:
        assert resp.status_code == 200, resp.text
        assert [row["a"] for row in resp.json()["predictions"]] == a


def test_concurrent_requests_are_merged(batching: Any) -> None:
    merged = 0
    for _ in range(20):  # rounds of 8 simultaneous requests, until one round was merged
        if merged > 1:
            break
        gate = threading.Barrier(8)

        def one(k: int, gate: threading.Barrier = gate) -> Any:
            gate.wait()
            return probe_request(batching.url, [k])

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(one, range(8)))
        rows = [r.json()["predictions"][0] for r in responses]
        assert [row["a"] for row in rows] == list(range(8))
        merged = max(merged, max(row["batch"] for row in rows))
    assert merged > 1
    text = batching.get("/metrics").text
    assert metric(text, "pyfunc_batch_rows_count") < metric(text, "pyfunc_predicted_rows_total")


def test_a_failing_request_fails_alone_inside_a_batch(batching: Any) -> None:
    gate = threading.Barrier(12)

    def one(k: int) -> Any:
        gate.wait()
        return probe_request(batching.url, [-k if k % 4 == 0 else k])

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(one, range(1, 13)))
    for k, resp in zip(range(1, 13), responses):
        if k % 4 == 0:
            assert resp.status_code == 400 and "negative a" in resp.json()["message"]
        else:
            assert resp.status_code == 200 and resp.json()["predictions"][0]["a"] == k


def test_different_params_are_not_merged(start_server: Any, models: dict) -> None:
    server = start_server(models["score"], "--batch-max-size", "32", "--batch-max-wait-ms", "50")
    gate = threading.Barrier(8)

    def one(k: int) -> Any:
        gate.wait()
        return server.post("/invocations", split_body([k], [0], params={"multiplier": k}))

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(one, range(8)))
    assert [r.json()["predictions"] for r in responses] == [[float(k * k)] for k in range(8)]


# -- several workers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_workers(start_server: Any, models: dict) -> Any:
    return start_server(models["score"], "--workers", "2", "--threads", "8")


def test_two_workers_serve_concurrent_clients(two_workers: Any) -> None:
    def client(k: int) -> list[tuple[Any, Any]]:
        out = []
        with requests.Session() as session:
            for i in range(20):
                a = [k * 100.0 + i]
                resp = session.post(two_workers.url + "/invocations", json=split_body(a, [0.25]), timeout=30)
                out.append((resp.json(), {"predictions": [a[0] + 0.25]}))
        return out

    before = metric(
        two_workers.get("/metrics").text, "pyfunc_requests_total", endpoint="/invocations", status="200"
    )
    with ThreadPoolExecutor(12) as pool:
        results = [pair for chunk in pool.map(client, range(12)) for pair in chunk]
    assert all(got == want for got, want in results)
    # the counts of both workers are aggregated, whichever answers /metrics
    for _ in range(4):
        text = two_workers.get("/metrics").text
        assert metric(text, "pyfunc_requests_total", endpoint="/invocations", status="200") == before + 240
    assert len(set(worker_pids(two_workers))) == 2


def worker_pids(server: Any) -> list[int]:
    ready = [line for line in server.output().splitlines() if "ready: model" in line]
    return [int(line.split("worker ")[1].split()[0]) for line in ready]


def test_keep_alive_connections_are_spread_over_the_workers(start_server: Any, models: dict) -> None:
    """Eight persistent connections opened one after another end up four and four (give or
    take one each), not all on whichever worker woke first."""
    import http.client
    import re

    server = start_server(models["score"], "--workers", "2")
    host, port = server.url.split("//")[1].split(":")
    connections = []
    try:
        for i in range(8):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("GET", "/ping", headers={"X-Request-ID": f"spread-{i}"})
            assert conn.getresponse().read() is not None
            connections.append(conn)
        owners: dict[str, int] = {}
        deadline = time.monotonic() + 10
        while len(owners) < 8 and time.monotonic() < deadline:  # the access log is flushed every 100 ms
            found = re.findall(r"\[(\d+)\] access: .* rid=(spread-\d)", server.output())
            owners = {rid: int(pid) for pid, rid in found}
            time.sleep(0.05)
    finally:
        for conn in connections:
            conn.close()
    per_worker = sorted(list(owners.values()).count(pid) for pid in set(owners.values()))
    assert len(owners) == 8 and len(per_worker) == 2, owners
    assert per_worker[1] - per_worker[0] <= 2, owners


def test_a_dead_worker_is_replaced(two_workers: Any) -> None:
    import os

    first = worker_pids(two_workers)[0]
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while len(worker_pids(two_workers)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(worker_pids(two_workers)) == 3
    assert "starting a new one" in two_workers.output()
    for i in range(10):
        assert two_workers.post("/invocations", split_body([i], [0])).json() == {"predictions": [float(i)]}
    assert two_workers.proc.poll() is None


def test_sigterm_drains_in_flight_requests(start_server: Any, models: dict) -> None:
    for workers in ("1", "2"):
        server = start_server(models["score"], "--workers", workers, "--timeout", "20")
        with ThreadPoolExecutor(6) as pool:
            futures = [
                pool.submit(server.post, "/invocations", split_body([k], [0], params={"sleep": 1.5}))
                for k in range(6)
            ]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # wait until all six are inside the server
                text = server.get("/metrics").text
                if metric(text, "pyfunc_requests_in_flight") >= 7:  # six plus this scrape
                    break
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGTERM)
            responses = [f.result() for f in futures]
        assert [r.json() for r in responses] == [{"predictions": [float(k)]} for k in range(6)]
        assert server.proc.wait(30) == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/ping", timeout=5)


def test_model_load_failure_exits_1(start_server: Any, tmp_path: Any) -> None:
    import subprocess
    import sys

    from pyfunc_core.testing import free_port

    for workers in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "pyfunc_core", "serve", "-m", str(tmp_path), "--port", str(free_port()),
             "--workers", workers],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 1
        assert "MLmodel" in proc.stderr
        assert "Traceback" not in proc.stderr


class LoadRecorder(PythonModel):
    """Appends the loading process's pid to a file, to show where the model was loaded."""

    def __init__(self, record: str):
        self.record = record

    def load_context(self, context: Any) -> None:
        with open(self.record, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return [os.getpid()] * len(model_input)


def test_fork_safe_model_is_loaded_once_before_forking(start_server: Any, tmp_path: Any) -> None:
    record = tmp_path / "loads.txt"
    save_model(tmp_path / "m", python_model=LoadRecorder(str(record)))
    server = start_server(tmp_path / "m", "--workers", "2")
    loads = record.read_text().split()
    assert loads == [str(server.proc.pid)], "loaded once, in the supervisor"
    answered = set()
    for _ in range(40):
        body = {"dataframe_split": {"columns": ["x"], "data": [[1]]}}
        answered.add(
            requests.post(server.url + "/invocations", json=body, timeout=30).json()["predictions"][0]
        )
    assert server.proc.pid not in answered and len(answered) >= 1, "workers answer, not the supervisor"
    assert record.read_text().split() == loads, "forked workers reuse the loaded model"

"""Workers under load, against real servers: cold bursts, many clients, a killed worker,
SIGTERM mid-load, a hung worker. Failure counts are printed (``pytest -s``) for the record."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cloudpickle
import pytest
import requests

from pyfunc_core import PythonModel, save_model
from pyfunc_core.schema import ColSpec, ModelSignature, Schema

from .test_invocations import split_body

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def worker_pids(server: Any) -> list[int]:
    ready = [line for line in server.output().splitlines() if "ready: model" in line]
    return [int(line.split("worker ")[1].split()[0]) for line in ready]


def wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def v2_body(a: list[float], b: list[float]) -> dict[str, Any]:
    return {
        "inputs": [
            {"name": "a", "datatype": "FP64", "shape": [len(a)], "data": a},
            {"name": "b", "datatype": "FP64", "shape": [len(b)], "data": b},
        ]
    }


def one_request(session: Any, url: str, k: int, v2: bool) -> tuple[int, Any]:
    """Request k with its own input; returns (status, predictions or error text)."""
    a, b = [k * 1.0, k + 0.5], [0.25, -1.0]
    want = [a[0] + b[0], a[1] + b[1]]
    if v2:
        resp = session.post(url + "/v2/models/score/infer", json=v2_body(a, b), timeout=30)
        got = resp.json()["outputs"][0]["data"] if resp.status_code == 200 else resp.text
    else:
        resp = session.post(url + "/invocations", json=split_body(a, b), timeout=30)
        got = resp.json()["predictions"] if resp.status_code == 200 else resp.text
    if resp.status_code == 200 and got != want:
        return -1, f"request {k}: got {got}, expected {want}"  # an answer meant for another request
    return resp.status_code, got


# -- a burst of first requests on a fresh server --------------------------------------------


def test_a_cold_burst_of_first_requests_all_succeed(start_server: Any, models: dict) -> None:
    """64 simultaneous first requests (V2 and /invocations) on 3 fresh servers, 32 threads."""
    failures = []
    for _ in range(3):
        server = start_server(models["score"], "--name", "score", "--threads", "32")
        gate = threading.Barrier(64)

        def first(k: int, url: str = server.url, gate: threading.Barrier = gate) -> tuple[int, Any]:
            gate.wait()
            return one_request(requests, url, k, v2=k % 2 == 0)

        with ThreadPoolExecutor(64) as pool:
            results = list(pool.map(first, range(64)))
        failures += [r for r in results if r[0] != 200]
        log = server.output()
        assert "Traceback" not in log and "internal error" not in log, log[-3000:]
        # "listening" is said once the worker is ready (warmed up), never before
        assert log.index("ready: model") < log.index("listening on http://"), log
        server.stop()
    print(f"\ncold bursts: {len(failures)} of 192 first requests failed")
    assert failures == []


def test_ready_means_warmed_up_with_the_input_example(start_server: Any, models: dict) -> None:
    server = start_server(models["logreg"], "--workers", "2")
    log = server.output()
    assert log.count("warmed up") == 2 and "with a predict on the input example" in log, log
    assert "warm-up predict" not in log  # it did not fail
    # the warm-up requests are neither in the access log nor counted
    assert "rid=warm-up" not in log
    assert 'endpoint="/invocations"' not in server.get("/metrics").text
    assert log.index("warmed up") < log.index("listening on http://")


# -- many clients, every answer checked against its own request ------------------------------


@pytest.mark.parametrize(
    "flags",
    [("--workers", "2"), ("--batch-max-size", "32", "--batch-max-wait-ms", "2", "--threads", "16")],
    ids=["direct-2-workers", "batching"],
)
def test_many_clients_each_get_their_own_answer(start_server: Any, models: dict, flags: tuple) -> None:
    server = start_server(models["score"], "--name", "score", *flags)

    def client(c: int) -> list[tuple[int, Any]]:
        with requests.Session() as session:
            return [one_request(session, server.url, c * 1000 + i, v2=i % 4 == 0) for i in range(100)]

    with ThreadPoolExecutor(16) as pool:
        results = [r for chunk in pool.map(client, range(16)) for r in chunk]
    assert len(results) == 1600
    assert [r for r in results if r[0] != 200] == []


# -- a worker killed mid-load ----------------------------------------------------------------


def test_a_worker_killed_mid_load_is_replaced_without_errors(start_server: Any, models: dict) -> None:
    server = start_server(models["score"], "--name", "score", "--workers", "2", "--threads", "8")
    victim = worker_pids(server)[0]
    answered = [0]
    statuses: list[int] = []
    dropped: list[str] = []  # connections cut by the kill (their requests were in the dead worker)
    stop = threading.Event()

    def client(c: int) -> None:
        session = requests.Session()
        for i in range(400):
            if stop.is_set():
                break
            try:
                status, _ = one_request(session, server.url, c * 1000 + i, v2=i % 3 == 0)
                statuses.append(status)
                answered[0] += 1
            except requests.ConnectionError as exc:
                dropped.append(type(exc).__name__)
                session.close()
                session = requests.Session()
        session.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
    for t in threads:
        t.start()
    assert wait_for(lambda: answered[0] >= 200, 60)
    os.kill(victim, signal.SIGKILL)
    replaced = wait_for(lambda: len(worker_pids(server)) >= 3, 60)
    stop.set()
    for t in threads:
        t.join(60)
    assert replaced, server.output()[-3000:]
    print(f"\nworker killed mid-load: {len(dropped)} requests cut, {len(statuses)} answered")
    assert all(s == 200 for s in statuses), sorted(set(statuses))
    # once the replacement is ready, nothing fails
    with requests.Session() as session:
        after = [one_request(session, server.url, 10**6 + k, v2=k % 2 == 0)[0] for k in range(200)]
    assert after == [200] * 200
    assert "Traceback" not in server.output()


# -- SIGTERM under load ----------------------------------------------------------------------


def test_sigterm_under_load_answers_everything_in_flight(start_server: Any, models: dict) -> None:
    from .test_invocations import metric

    server = start_server(models["score"], "--name", "score", "--workers", "2", "--timeout", "20")
    statuses: list[int] = []
    cut: list[str] = []
    stop = threading.Event()

    def client(c: int) -> None:
        with requests.Session() as session:
            for i in range(2000):
                if stop.is_set():
                    return
                try:
                    statuses.append(one_request(session, server.url, c * 10000 + i, v2=i % 2 == 0)[0])
                except requests.ConnectionError:
                    cut.append("x")  # after SIGTERM: the listening socket is closed
                    return

    def slow(k: int) -> Any:
        return server.post("/invocations", split_body([k], [0], params={"sleep": 1.0}))

    with ThreadPoolExecutor(12) as pool:
        fast = [pool.submit(client, c) for c in range(8)]
        assert wait_for(lambda: len(statuses) >= 100, 30)
        slow_futures = [pool.submit(slow, k) for k in range(4)]
        # the four slow ones (and this scrape) are inside the server
        assert wait_for(lambda: metric(server.get("/metrics").text, "pyfunc_requests_in_flight") >= 5, 10)
        server.proc.send_signal(signal.SIGTERM)
        slow_answers = [f.result() for f in slow_futures]
        stop.set()
        for f in fast:
            f.result()
    assert [r.status_code for r in slow_answers] == [200] * 4
    assert [r.json() for r in slow_answers] == [{"predictions": [float(k)]} for k in range(4)]
    assert statuses and all(s == 200 for s in statuses), sorted(set(statuses))
    assert server.proc.wait(30) == 0
    print(f"\nSIGTERM under load: {len(statuses)} answered 200, {len(cut)} clients found the door closed")


# -- a hung worker ----------------------------------------------------------------------------


class GilHog(PythonModel):
    """``x`` > 0 sleeps ``x`` seconds in C with the GIL held (a stuck native extension)."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        import ctypes

        seconds = int(model_input["x"].max())
        if seconds > 0:
            ctypes.PyDLL(None).sleep(seconds)  # PyDLL keeps the GIL during the call
        return model_input["x"].to_numpy()


def test_a_hung_worker_is_killed_and_replaced(start_server: Any, tmp_path: Any) -> None:
    model = tmp_path / "hog"
    save_model(model, python_model=GilHog(), signature=ModelSignature(inputs=Schema([ColSpec("long", "x")])))
    server = start_server(model, "--workers", "2", env={"PYFUNC_SCORING_SERVER_HUNG_SECONDS": "2"})
    body = {"dataframe_split": {"columns": ["x"], "data": [[60]]}}
    with pytest.raises(requests.ConnectionError):  # its worker is killed under it
        requests.post(server.url + "/invocations", json=body, timeout=30)
    assert wait_for(lambda: len(worker_pids(server)) >= 3, 60), server.output()[-3000:]
    assert "is hung (no heartbeat" in server.output()
    ok = {"dataframe_split": {"columns": ["x"], "data": [[0]]}}
    for _ in range(20):
        assert requests.post(server.url + "/invocations", json=ok, timeout=30).json() == {"predictions": [0]}
    assert server.proc.poll() is None

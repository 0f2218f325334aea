"""Deadlines, load shedding and connection floods, against real servers (and the runners in-process)."""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
import requests

from pyfunc_core import PythonModel, save_model
from pyfunc_core.schema import ColSpec, ModelSignature, ParamSchema, ParamSpec, Schema
from pyfunc_scoring_server.process.balance import ConnectionBalance
from pyfunc_scoring_server.scoring.batching import BatchRunner, DirectRunner, Expired

from .test_invocations import assert_error, split_body

cloudpickle.register_pickle_by_value(sys.modules[__name__])


class CountingSleeper(PythonModel):
    """Sleeps ``params["sleep"]`` seconds; appends one line to ``record`` per predict call."""

    def __init__(self, record: str) -> None:
        self.record = record

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        with open(self.record, "a", encoding="utf-8") as f:
            f.write("predict\n")
        time.sleep((params or {}).get("sleep", 0.0))
        return (model_input["a"] + model_input["b"]).to_numpy()


@pytest.fixture
def sleeper(tmp_path: Path) -> tuple[Path, Path]:
    record = tmp_path / "calls.txt"
    signature = ModelSignature(
        inputs=Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
        params=ParamSchema([ParamSpec("sleep", "double", 0.0)]),
    )
    save_model(tmp_path / "m", python_model=CountingSleeper(str(record)), signature=signature)
    return tmp_path / "m", record


class Answer:
    """One response of a burst: status, headers, JSON body, and which route it came from."""

    def __init__(self, resp: Any, path: str) -> None:
        self.status_code = resp.status
        self.headers = resp.headers  # case-insensitive
        self.text = resp.read().decode()
        self.path = path

    def json(self) -> Any:
        return json.loads(self.text)


def burst(server: Any, count: int, sleep: float, v2: bool = False) -> list[Answer]:
    """``count`` requests sent back to back on open connections (so they arrive together),
    then all answers read; with ``v2``, every third goes to the V2 infer route."""
    host, port = server.url.split("//")[1].split(":")
    conns = [http.client.HTTPConnection(host, int(port), timeout=60) for _ in range(count)]
    paths = []
    for conn in conns:
        conn.connect()
    for k, conn in enumerate(conns):
        if v2 and k % 3 == 0:
            inputs = [{"name": n, "datatype": "FP64", "shape": [1], "data": [float(k)]} for n in "ab"]
            path, body = "/v2/models/m/infer", {"inputs": inputs, "parameters": {"sleep": sleep}}
        else:
            path, body = "/invocations", split_body([k], [0], params={"sleep": sleep})
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        paths.append(path)
    try:
        return [Answer(conn.getresponse(), path) for conn, path in zip(conns, paths)]
    finally:
        for conn in conns:
            conn.close()


def test_expired_requests_are_dropped_and_fresh_ones_served(start_server: Any, sleeper: Any) -> None:
    """20 requests of 2.5 s against a 2 s timeout on 2 predict threads: each gets its 504 once
    its deadline (counted from arrival) passes, the queued ones never run, and a request sent
    right after them is served (once the two running predictions end) instead of waiting
    behind 18 abandoned ones."""
    model, record = sleeper
    server = start_server(model, "--workers", "1", "--threads", "2", "--timeout", "2")
    record.write_text("")
    started = time.monotonic()
    responses = burst(server, 20, 2.5)
    burst_seconds = time.monotonic() - started
    for resp in responses:
        if resp.status_code == 504:
            assert_error(resp, 504, "DEADLINE_EXCEEDED", "timeout")
        else:
            assert_error(resp, 503, "TEMPORARILY_UNAVAILABLE", "overloaded")
    sent = time.monotonic()
    after = server.post("/invocations", split_body([7], [0.5]))
    after_seconds = time.monotonic() - sent
    assert after.status_code == 200 and after.json() == {"predictions": [7.5]}
    calls = record.read_text().count("predict")
    print(f"\n20 x 2.5 s, timeout 2 s: all answered in {burst_seconds:.2f}s, {calls - 1} of 20 predictions "
          f"ran, the next request answered in {after_seconds:.2f}s")  # fmt: skip
    assert calls - 1 < 20  # the expired ones were dropped before they started


def test_a_backlog_longer_than_the_timeout_is_shed_with_503(start_server: Any, sleeper: Any) -> None:
    model, _ = sleeper
    server = start_server(model, "--workers", "1", "--threads", "1", "--timeout", "2.5", "--name", "m")
    for _ in range(2):  # the server learns how long a predict takes
        assert server.post("/invocations", split_body([1], [0], params={"sleep": 1.0})).status_code == 200
    started = time.monotonic()
    responses = burst(server, 12, 1.0, v2=True)
    seconds = time.monotonic() - started
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503, 504}, statuses
    shed = [r for r in responses if r.status_code == 503]
    assert shed and 200 in statuses, statuses
    for resp in shed:
        if "/v2/" not in resp.path:
            assert_error(resp, 503, "TEMPORARILY_UNAVAILABLE", "overloaded")
        assert int(resp.headers["Retry-After"]) >= 1
    v2 = [r for r in shed if "/v2/" in r.path]
    for resp in v2:  # V2 answers the same 503 in its own error shape
        assert set(resp.json()) == {"error"} and "overloaded" in resp.json()["error"]
    print(f"\nshedding: {statuses.count(200)} served, {len(shed)} shed (503), {statuses.count(504)} timed out; "
          f"burst answered in {seconds:.2f}s")  # fmt: skip


def test_one_slow_request_does_not_make_every_request_look_slow(start_server: Any, sleeper: Any) -> None:
    """Shedding estimates from the typical (median) predict: after one request that ran past
    the timeout, a burst of fast ones on busy threads is served, not refused."""
    model, _ = sleeper
    # one worker: the median is per worker, and with two a worker may have timed only the
    # slow request and one fast one
    server = start_server(model, "--workers", "1", "--threads", "2", "--timeout", "1.5")
    for k in range(5):
        assert server.post("/invocations", split_body([k], [0])).status_code == 200
    slow = server.post("/invocations", split_body([1], [0], params={"sleep": 2.5}))
    assert_error(slow, 504, "DEADLINE_EXCEEDED")
    time.sleep(1.5)  # the abandoned prediction ends and is timed
    for _ in range(3):
        statuses = [r.status_code for r in burst(server, 16, 0.0)]
        assert statuses == [200] * 16, statuses


@pytest.mark.parametrize("workers,count", [(1, 1500), (2, 2500)])
def test_a_flood_of_idle_connections_cannot_starve_ping(
    start_server: Any, models: dict, workers: int, count: int
) -> None:
    """More idle connections than the 1,000 a worker keeps: /ping and a prediction still
    answer, because the longest-idle connections are closed to make room."""
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < count + 500:
        pytest.skip(f"needs an open-files limit of at least {count + 500} for the flood")
    server = start_server(models["score"], "--workers", str(workers))
    host, port = server.url.split("//")[1].split(":")
    flood = []
    try:
        for _ in range(count):
            flood.append(socket.create_connection((host, int(port)), timeout=10))
        started = time.monotonic()
        assert requests.get(server.url + "/ping", timeout=30).status_code == 200
        ping_seconds = time.monotonic() - started
        resp = server.post("/invocations", split_body([1.0], [2.0]))
        assert resp.status_code == 200 and resp.json() == {"predictions": [3.0]}
        closed = 0
        for s in flood:  # the server closed the oldest idle ones
            s.setblocking(False)
            try:
                closed += s.recv(1) == b""
            except (BlockingIOError, ConnectionResetError):
                closed += 0
    finally:
        for s in flood:
            s.close()
    print(f"\n{count} idle connections on {workers} worker(s): /ping answered in {ping_seconds:.2f}s; "
          f"{closed} idle ones closed")  # fmt: skip
    assert closed > 0
    assert "idle connections" in server.output()


# -- the runners in-process --------------------------------------------------------------------


def test_runners_drop_jobs_whose_deadline_passed_before_they_started() -> None:
    calls: list[Any] = []

    def predict(data: Any, params: Any) -> Any:
        calls.append(data)
        return data

    runners: list[Any] = [DirectRunner(predict, 2), BatchRunner(predict, 8, 0.001)]
    for runner in runners:
        late = runner.submit([1], None, 1, deadline=time.perf_counter() - 1)
        on_time = runner.submit([2], None, 1, deadline=time.perf_counter() + 30)
        assert late.wait(10) and isinstance(late.error, Expired)
        assert on_time.wait(10) and on_time.value == [2]
        runner.stop()
    assert [1] not in calls


def test_the_estimate_follows_the_live_backlog() -> None:
    release = threading.Event()
    calls: list[int] = []

    def predict(data: Any, params: Any) -> Any:
        calls.append(data)
        return release.wait(10)

    runner = DirectRunner(predict, 1)
    assert runner.estimate() == (0.0, 0.0)  # a free thread (and nothing timed yet): no wait
    first = runner.submit(0, None, 1)
    release.set()
    assert first.wait(10)
    release.clear()
    busy = [runner.submit(k, None, 1) for k in (1, 2, 3)]  # one running, two queued
    wait, per = runner.estimate()  # type: ignore[misc]
    assert per == runner.predict_seconds and per > 0 and wait >= 2 * per
    runner.abandon(busy[2])  # its request gave up: it no longer counts, and never runs
    assert runner.estimate()[0] < wait  # type: ignore[index]
    release.set()
    assert busy[0].wait(10) and busy[1].wait(10)
    assert not busy[2].wait(0.2)
    assert calls == [0, 1, 2]
    runner.stop()


def test_a_batch_runner_counts_a_request_larger_than_a_batch_as_one_batch() -> None:
    release = threading.Event()

    def predict(data: Any, params: Any) -> Any:
        release.wait(10)
        return data

    runner = BatchRunner(predict, 8, 0.0, inline_seconds=0.0)  # every job queued, as under load
    release.set()
    assert runner.submit([0], None, 1).wait(10)  # one timed batch
    release.clear()
    running = runner.submit([1], None, 1)
    for _ in range(1000):  # bounded: until the batcher has taken it
        if runner.busy_for() > 0:
            break
        time.sleep(0.005)
    big = [runner.submit(list(range(1000)), None, 1000) for _ in range(3)]
    wait, per = runner.estimate()  # type: ignore[misc]
    # three requests of 1,000 rows are three batches ahead, not 375 batches of 8 rows
    assert 0 < per and wait <= 3 * per + per
    release.set()
    assert running.wait(10) and all(slot.wait(10) for slot in big)
    runner.stop()


def test_a_slot_is_vacant_until_its_worker_accepts_and_the_gate_holds_first_workers() -> None:
    balance = ConnectionBalance(2)
    a, b = balance.take(), balance.take()
    assert a.may_accept(3)  # b is still loading: its vacant slot never holds a back
    assert b.may_accept(0) and not a.may_accept(3)  # b accepts now: a lets it catch up
    stop = threading.Event()
    waiter = threading.Thread(target=a.wait_for_gate, args=(stop.is_set,))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # held at the gate
    balance.open_gate()
    waiter.join(10)
    assert not waiter.is_alive()
    assert balance.last_beat(a) == 0.0
    big = ConnectionBalance(2)
    c, d = big.take(), big.take()
    assert d.may_accept(800) and c.may_accept(880) and not c.may_accept(901)  # an eighth ahead
    a.beat()
    assert balance.last_beat(a) > 0.0

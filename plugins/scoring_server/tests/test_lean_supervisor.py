"""The supervisor lets go of the model once the first workers are up (process/shed.py): it
re-executes itself as a lean process that keeps supervising the same workers."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from .test_invocations import split_body
from .test_processes import wait_for, worker_pids

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def metrics_dir(pid: int) -> Path:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    value = next(e for e in environ if e.startswith(b"PROMETHEUS_MULTIPROC_DIR="))
    return Path(value.split(b"=", 1)[1].decode())


def test_the_supervisor_re_executes_without_the_model_and_keeps_supervising(
    start_server: Any, models: dict
) -> None:
    server = start_server(models["score"], "--name", "score", "--workers", "2")
    pid = server.proc.pid
    assert wait_for(lambda: "pyfunc_scoring_server.process.shed" in cmdline(pid), 30), cmdline(pid)
    assert "serve -m" in cmdline(pid)  # the original command line, for ps
    # the libraries the model needs (numpy, pandas) are no longer mapped in the supervisor
    assert "numpy" not in maps(pid) and "pandas" not in maps(pid)
    first = worker_pids(server)
    assert children(pid) == set(first)  # same pid, so the workers are still its children
    metrics = metrics_dir(pid)
    assert metrics.is_dir()

    os.kill(first[0], signal.SIGKILL)  # a replacement loads its own model and serves
    assert wait_for(lambda: len(worker_pids(server)) >= 3, 60), server.output()[-3000:]
    with requests.Session() as session:
        for k in range(20):
            resp = session.post(
                server.url + "/invocations", json=split_body([k, 1.0], [0.5, 2.0]), timeout=30
            )
            assert resp.status_code == 200 and resp.json() == {"predictions": [k + 0.5, 3.0]}
    assert server.get("/metrics").status_code == 200

    assert server.stop() == 0  # drains every worker, then removes the metrics directory it made
    assert not metrics.exists()
    assert "Traceback" not in server.output()


def test_a_stop_right_after_ready_is_a_clean_stop(start_server: Any, models: dict) -> None:
    # /ping answers once the gate opens, just before the re-exec: SIGTERM then lands while the
    # supervisor is being replaced, and must wait for the new process's handlers
    for _ in range(3):
        server = start_server(models["score"], "--workers", "2")
        assert server.stop() == 0, server.output()[-3000:]
        assert "Traceback" not in server.output()


def test_reexec_can_be_turned_off(start_server: Any, models: dict) -> None:
    server = start_server(models["score"], "--workers", "2", env={"PYFUNC_SCORING_SERVER_REEXEC": "0"})
    pid = server.proc.pid
    assert "pyfunc_core serve" in cmdline(pid)
    assert "numpy" in maps(pid)  # it holds the model the workers were forked with
    assert server.post("/invocations", split_body([1.0], [2.0])).json() == {"predictions": [3.0]}
    assert server.stop() == 0

"""Start a server as its own process group, time it to its first 200, measure its memory, stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT_S = 180.0


@dataclass
class ServerSpec:
    """How to start one server instance and where to talk to it."""

    server: str  # pyfunc | mlflow | mlserver | floor
    label: str  # flags shown in the tables
    cmd: list[str]
    health_url: str
    infer_url: str
    protocol: str  # "mlflow" (/invocations, dataframe_split) or "v2"
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass
class Running:
    spec: ServerSpec
    proc: subprocess.Popen
    cold_start_s: float
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(spec: ServerSpec, log: Path) -> Running:
    """Launch the server and wait for its first 200 on the health URL (that wait is the cold start)."""
    env = {**os.environ, **spec.env}
    out = log.open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        spec.cmd,
        cwd=spec.cwd,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    out.close()
    deadline = t0 + READY_TIMEOUT_S
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{spec.server} exited with {proc.returncode} before ready:\n{_tail(log)}")
        if _is_200(spec.health_url):
            return Running(spec, proc, time.perf_counter() - t0, log)
        time.sleep(0.01)
    stop(proc)
    raise RuntimeError(f"{spec.server} not ready after {READY_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def _is_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def process_tree(root: int) -> list[int]:
    """The pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by the process tree's live processes."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(sum of RSS, sum of PSS) of the process tree, in MB; PSS counts shared pages once."""
    rss = pss = 0
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024


def stop(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left of that group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:  # workers that outlive the parent stay in its process group
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(timeout=5)

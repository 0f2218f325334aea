"""Bounded HTTP load with ``wrk``: a Lua script POSTs one body file; results come back as JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MARK = "BENCHJSON "
LUA = """\
local f = assert(io.open("{body}", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "{content_type}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{mark}{{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %.1f, "p99_us": %.1f, "max_us": %.1f}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class LoadResult:
    requests: int  # completed responses, any status
    duration_s: float
    errors: int  # non-2xx (wrk counts status >= 400) + socket errors (connect/read/write/timeout)
    p50_ms: float
    p99_ms: float

    @property
    def ok_per_s(self) -> float:
        return max(self.requests - self.errors, 0) / self.duration_s if self.duration_s else 0.0


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    print("[wrk] not found; trying: apt-get install -y wrk", flush=True)
    if shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, timeout=600)
        wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is needed: install it with `apt-get install -y wrk` (as root).")
    return wrk


def write_lua(path: Path, body: Path, content_type: str = "application/json") -> Path:
    path.write_text(LUA.format(body=body.resolve(), content_type=content_type, mark=MARK))
    return path


def run(wrk: str, url: str, lua: Path, connections: int, duration_s: float) -> LoadResult:
    """One bounded wrk run (one thread: the machine has 2 cores and the server needs them)."""
    cmd = [
        wrk, "-t1", f"-c{connections}", f"-d{max(round(duration_s), 1)}s",
        "--timeout", "30s", "-s", str(lua), url,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 120)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout[-500:]}")
    r = json.loads(line[len(MARK) :])
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return LoadResult(
        requests=r["requests"],
        duration_s=r["duration_us"] / 1e6,
        errors=r["status"] + socket_errors,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
    )

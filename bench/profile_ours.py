"""Where our server's time goes under 1-row load: ``py-spy record`` of its workers, summarised.

Called by ``serving_bench.py --profile SECONDS``: it starts ``pyfunc-core serve`` on one model,
drives 1-row requests at concurrency 8 with wrk, records every worker with py-spy (raw collapsed
stacks, only samples holding the GIL: the Python work that bounds each worker) and prints the
functions holding the most samples.
"""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from pathlib import Path

import server_procs
import wrk_load
from server_procs import ServerSpec

# Frames on every stack that say nothing about where the time goes.
_PLUMBING = ("threading.py:", "core.py:", "pyfunc-core:", "main.py:main", "errors.py:one_line")


def _frame_name(frame: str) -> str:
    """'func (path/to/module.py:12)' -> 'module.py:func'."""
    func, _, where = frame.partition(" (")
    file = where.split(":", 1)[0].rsplit("/", 1)[-1]
    return f"{file}:{func}" if file else func


def summarise(raw: Path, top: int = 25) -> str:
    """Inclusive and self shares of samples per function, from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame_name(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        total += n
        for name in set(frames):
            inclusive[name] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        return "(no samples)"
    lines = [f"{total} samples holding the GIL", "", "inclusive % | self % | function"]
    ranked = [(k, v) for k, v in inclusive.most_common() if not k.startswith(_PLUMBING)]
    for name, n in ranked[:top]:
        lines.append(f"{100 * n / total:10.1f} | {100 * own[name] / total:6.1f} | {name}")
    lines += ["", "top self time:"]
    for name, n in own.most_common(12):
        lines.append(f"{100 * n / total:6.1f} % {name}")
    return "\n".join(lines)


def profile(spec: ServerSpec, body: Path, wrk: str, py_spy: Path, seconds: float, out: Path) -> str:
    """Record the running server under 1-row, concurrency-8 load; return the summary text."""
    running = server_procs.start(spec, out.with_suffix(".log"))
    try:
        lua = wrk_load.write_lua(out.with_suffix(".lua"), body)
        load = threading.Thread(
            target=wrk_load.run, args=(wrk, spec.infer_url, lua, 8, seconds + 4), daemon=True
        )
        load.start()
        raw = out.with_suffix(".raw.txt")
        cmd = [
            str(py_spy), "record", "--pid", str(running.proc.pid), "--subprocesses",
            "--format", "raw", "--rate", "250", "--duration", str(int(seconds)),
            "--gil", "--output", str(raw),
        ]  # fmt: skip
        subprocess.run(cmd, capture_output=True, timeout=seconds + 60, check=True)
        load.join(timeout=seconds + 60)
        return summarise(raw)
    finally:
        server_procs.stop(running.proc)

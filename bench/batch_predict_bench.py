"""Batch scoring throughput: ``pyfunc-core predict`` vs ``mlflow models predict`` vs the floor.

One model (logistic regression on 20 float columns), saved once by MLflow's
``mlflow.sklearn.save_model`` and scored by both tools from the same CSV file:

* ``pyfunc-core predict`` (our sklearn plugin loads the MLflow-written directory),
  chunked, with 1 and 2 worker processes;
* ``mlflow models predict --env-manager local`` from MLflow's own virtualenv, installed by
  this script under ``bench/.work/batch/``;
* the floor: ``pandas.read_csv`` of the whole file plus ``estimator.predict`` in one
  process with nothing written, and ``predict`` alone on data already in memory.

Every run is a fresh process; rows/s is rows over the wall time of that process (start-up,
model load, parsing, scoring and writing the output). Both tools' JSON outputs are
compared byte for byte. Usage::

    .venv/bin/python bench/batch_predict_bench.py               # 10 million rows
    .venv/bin/python bench/batch_predict_bench.py --rows 200000 # a quick run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "batch"
FEATURES = 20
MLFLOW_VERSION = "3.17.2"

TRAIN_SCRIPT = """
import sys, numpy as np, pandas as pd, mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(5000, {features})), columns=[f"f{{i}}" for i in range({features})])
y = (X.to_numpy() @ rng.normal(size={features}) > 0).astype("int64")
est = LogisticRegression(max_iter=500).fit(X, y)
mlflow.sklearn.save_model(est, sys.argv[1], signature=infer_signature(X, est.predict(X)))
"""

FLOOR_SCRIPT = """
import sys, time, json, pandas as pd
from pyfunc_core import load_model
from pyfunc_core.codecs.csv_codec import csv_dtypes
model = load_model(sys.argv[1])
est = model.get_raw_model()
started = time.perf_counter()
frame = pd.read_csv(sys.argv[2], dtype=csv_dtypes(model.metadata.get_input_schema()))
read = time.perf_counter()
est.predict(frame)
done = time.perf_counter()
array = frame.to_numpy()
again = time.perf_counter()
est.predict(array)
print(json.dumps({{"read_s": read - started, "predict_s": done - read, "predict_array_s": time.perf_counter() - again}}))
"""


def pinned(name: str) -> str:
    return f"{name}=={metadata.version(name)}"


def ensure_mlflow_venv(log: Path) -> Path:
    """MLflow's own virtualenv (same numpy/pandas/scikit-learn as ours), built once."""
    venv = WORK / "mlflow-venv"
    pins = [f"mlflow=={MLFLOW_VERSION}", *map(pinned, ("scikit-learn", "numpy", "pandas", "scipy"))]
    stamp = venv / ".pins"
    python = venv / "bin" / "python"
    if python.exists() and stamp.is_file() and stamp.read_text() == "\n".join(pins):
        return python
    print(f"[setup] installing {' '.join(pins)} into {venv} (log: {log})", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    base = getattr(sys, "_base_executable", None) or sys.executable
    with log.open("a") as out:
        if Path(uv).exists():
            commands = [
                [uv, "venv", "-q", "-p", base, str(venv)],
                [uv, "pip", "install", "-p", str(python), *pins],
            ]
        else:
            commands = [[base, "-m", "venv", str(venv)], [str(python), "-m", "pip", "install", "-q", *pins]]
        for cmd in commands:
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=1800)
    stamp.write_text("\n".join(pins))
    return python


def ensure_model(mlflow_python: Path) -> Path:
    model = WORK / "model-logreg"
    if not (model / "MLmodel").is_file():
        shutil.rmtree(model, ignore_errors=True)
        script = TRAIN_SCRIPT.format(features=FEATURES)
        subprocess.run([str(mlflow_python), "-c", script, str(model)], check=True, timeout=600)
    return model


def ensure_csv(rows: int) -> Path:
    """``rows`` x 20 floats (6 significant digits), written in slices to keep memory low."""
    import numpy as np
    import pandas as pd

    path = WORK / f"input-{rows}.csv"
    if path.is_file():
        return path
    print(f"[setup] writing {rows:,} rows to {path}", flush=True)
    rng = np.random.default_rng(1)
    columns = [f"f{i}" for i in range(FEATURES)]
    partial = path.with_suffix(".partial")
    with partial.open("w") as out:
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            pd.DataFrame(rng.normal(size=(n, FEATURES)), columns=columns).to_csv(
                out, index=False, header=start == 0, float_format="%.6g"
            )
    partial.rename(path)
    return path


def timed(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 7200) -> dict:
    """Wall time, peak RSS (MiB, of that process alone) and exit code of ``cmd``."""
    import tempfile
    import threading

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # per-child rusage, unlike RUSAGE_CHILDREN
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if seconds >= timeout:
        return {"ok": False, "seconds": seconds, "error": f"stopped after {timeout:.0f}s"}
    tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
    return {
        "ok": proc.returncode == 0,
        "seconds": seconds,
        "rss_mib": usage.ru_maxrss / 1024,
        "stdout": stdout,
        "stderr": tail,
    }


def digest(path: Path) -> str:
    """sha256 of the file without a final newline (MLflow ends its file without one, we with one)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        if size:
            f.seek(size - 1)
            size -= f.read(1) == b"\n"
            f.seek(0)
        h = hashlib.sha256()
        while size > 0:
            block = f.read(min(1 << 20, size))
            if not block:
                break
            h.update(block)
            size -= len(block)
    return h.hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows in the CSV (default 10M)")
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run")
    parser.add_argument("--mlflow-timeout", type=float, default=3600, help="seconds before MLflow is stopped")
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "setup.log"
    mlflow_python = ensure_mlflow_venv(log)
    model = ensure_model(mlflow_python)
    source = ensure_csv(args.rows)
    size_mib = source.stat().st_size / 2**20
    rows = args.rows
    print(f"[run] {rows:,} rows, {size_mib:,.0f} MiB CSV, model {model}", flush=True)

    results: list[tuple[str, dict]] = []
    outputs: dict[str, Path] = {}
    ours = str(Path(sys.executable).parent / "pyfunc-core")
    for workers in args.workers:
        out = WORK / f"ours-w{workers}.json"
        cmd = [ours, "predict", "-m", str(model), "-i", str(source), "-o", str(out)]
        cmd += ["--chunk-size", str(args.chunk_size), "--workers", str(workers)]
        label = f"pyfunc-core predict --workers {workers} (chunks of {args.chunk_size:,})"
        print(f"[run] {label}", flush=True)
        results.append((label, timed(cmd)))
        outputs[label] = out

    if not args.skip_mlflow:
        out = WORK / "mlflow.json"
        cmd = [str(mlflow_python.parent / "mlflow"), "models", "predict", "-m", str(model), "-i", str(source)]
        cmd += ["-o", str(out), "-t", "csv", "--env-manager", "local"]
        env = {**os.environ, "PATH": f"{mlflow_python.parent}{os.pathsep}{os.environ['PATH']}"}
        label = "mlflow models predict --env-manager local"
        print(f"[run] {label}", flush=True)
        results.append((label, timed(cmd, env=env, timeout=args.mlflow_timeout)))
        outputs[label] = out

    print("[run] floor: read_csv + estimator.predict in one process", flush=True)
    floor = timed([sys.executable, "-c", FLOOR_SCRIPT.format(), str(model), str(source)])
    results.append(("floor: pandas.read_csv + estimator.predict (no output)", floor))

    lines = [
        f"{rows:,} rows x {FEATURES} float columns ({size_mib:,.0f} MiB CSV), logistic regression saved "
        f"by mlflow.sklearn.save_model (MLflow {MLFLOW_VERSION}), {os.cpu_count()} CPUs",
        "",
        "| run | wall s | rows/s | peak RSS MiB | output sha256[:16] (sans final newline) |",
        "|---|---|---|---|---|",
    ]
    for label, r in results:
        if not r["ok"]:
            lines.append(f"| {label} | failed: {r.get('error') or ' / '.join(r.get('stderr', []))} | | | |")
            continue
        out = outputs.get(label)
        sha = digest(out) if out and out.exists() else "-"
        lines.append(
            f"| {label} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} | {r['rss_mib']:,.0f} | {sha} |"
        )
    if floor["ok"]:
        parts = json.loads(floor["stdout"])
        lines += [
            "",
            f"floor detail: read_csv {parts['read_s']:.1f}s ({rows / parts['read_s']:,.0f} rows/s), "
            f"predict on the DataFrame {parts['predict_s']:.2f}s, predict on a numpy array "
            f"{parts['predict_array_s']:.2f}s ({rows / parts['predict_array_s']:,.0f} rows/s)",
        ]
    table = "\n".join(lines)
    print("\n" + table)
    (WORK / f"results-{rows}.md").write_text(table + "\n")
    return 0 if all(r["ok"] for _, r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

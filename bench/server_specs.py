"""The command line, health URL and inference URL of each server under test."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from server_procs import ServerSpec, free_port

HERE = Path(__file__).resolve().parent


def pyfunc(bin_path: Path, model_dir: Path, flags: list[str], cache_dir: Path | None = None) -> ServerSpec:
    """``pyfunc-core serve`` on the MLflow-written directory; ``cache_dir`` holds its skops cache."""
    port = free_port()
    return ServerSpec(
        server="pyfunc",
        label=" ".join(flags) or "(defaults)",
        cmd=[str(bin_path), "serve", "-m", str(model_dir), "--port", str(port), *flags],
        health_url=f"http://127.0.0.1:{port}/ping",
        infer_url=f"http://127.0.0.1:{port}/invocations",
        protocol="mlflow",
        env={"PYFUNC_CORE_CACHE_DIR": str(cache_dir)} if cache_dir else {},
    )


def mlflow(venv_python: Path, model_dir: Path) -> ServerSpec:
    """``mlflow models serve --env-manager local``, one worker (its default)."""
    port = free_port()
    bin_dir = venv_python.parent
    return ServerSpec(
        server="mlflow",
        label="--env-manager local (1 worker)",
        cmd=[
            str(bin_dir / "mlflow"),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        health_url=f"http://127.0.0.1:{port}/ping",
        infer_url=f"http://127.0.0.1:{port}/invocations",
        protocol="mlflow",
        # It starts `uvicorn` by name: the venv's bin must come first on PATH.
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )


def mlserver(venv_python: Path, model_dir: Path, name: str) -> ServerSpec:
    """``mlserver start`` on a folder holding model-settings.json + model.joblib (V2 endpoint)."""
    port = free_port()
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
    }
    (model_dir / "settings.json").write_text(json.dumps(settings, indent=2))
    bin_dir = venv_python.parent
    return ServerSpec(
        server="mlserver",
        label="defaults (parallel_workers=1)",
        cmd=[str(bin_dir / "mlserver"), "start", str(model_dir)],
        health_url=f"http://127.0.0.1:{port}/v2/health/ready",
        infer_url=f"http://127.0.0.1:{port}/v2/models/{name}/infer",
        protocol="v2",
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        cwd=model_dir,
    )


def floor() -> ServerSpec:
    """A bare waitress app (8 threads) that reads the body and answers without a model."""
    port = free_port()
    return ServerSpec(
        server="floor",
        label="bare waitress, 8 threads",
        cmd=[sys.executable, str(HERE / "floor_app.py"), str(port), "8"],
        health_url=f"http://127.0.0.1:{port}/",
        infer_url=f"http://127.0.0.1:{port}/invocations",
        protocol="mlflow",
    )

"""Serving-image size: ``pyfunc-core build-docker`` vs MLflow's ``generate-dockerfile`` on the same base.

``mlflow models build-docker`` cannot run here: its Dockerfile starts ``FROM
python:<version>-slim`` and no registry is reachable. So both images start from the same
locally built base (``plugins/docker_env/tests/docker_support.py``: debootstrap'd Debian
bookworm with python3, imported with ``docker import``):

* ours: ``pyfunc-core build-docker --base-image BASE`` for a linear regression saved by
  ``pyfunc_sklearn.save_model``;
* MLflow's: the Dockerfile ``mlflow models generate-dockerfile`` writes for the same
  estimator saved by ``mlflow.sklearn.save_model`` (MLflow 3.17.2, from
  ``bench/.work/venvs/mlflow``), with only its ``FROM`` line pointed at BASE and the lines
  the Debian base needs to build it (``python`` on PATH, ``PIP_BREAK_SYSTEM_PACKAGES``, the
  host CA bundle for pip) plus ``PIP_NO_CACHE_DIR=1`` as in ours, so neither keeps a pip
  cache — MLflow's own steps (nginx, ``pip install mlflow``, the model's requirements) are
  unchanged.

Sizes are the daemon's ``Size`` of each image, with the base's size subtracted too. Build
seconds include Docker's layer cache: run it on a fresh daemon for cold figures.
Run as root on a machine where ``dev/docker-setup.sh`` ran::

    .venv/bin/python bench/docker_image_size.py
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "docker"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
OURS_TAG = "pyfunc-bench-size:ours"
MLFLOW_TAG = "pyfunc-bench-size:mlflow"

SAVE_SCRIPT = """
import sys
import pandas as pd
from sklearn.linear_model import LinearRegression
frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
model = LinearRegression().fit(frame, frame.a * 2 + frame.b * 3 + 1)
if sys.argv[1] == "mlflow":
    import mlflow.sklearn
    mlflow.sklearn.save_model(model, sys.argv[2], serialization_format="cloudpickle")
else:
    import pyfunc_sklearn
    pyfunc_sklearn.save_model(model, sys.argv[2])
"""


def _support():
    spec = importlib.util.spec_from_file_location(
        "docker_support", ROOT / "plugins" / "docker_env" / "tests" / "docker_support.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(cmd: list[str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}; see {log}")
    return time.perf_counter() - started


def mlflow_context(mlflow_python: Path, model: Path, out: Path, base: str, log: Path) -> Path:
    """MLflow's generated build context, its FROM pointed at ``base``."""
    _run([str(mlflow_python), "-m", "mlflow", "models", "generate-dockerfile", "-m", str(model),
          "-d", str(out), "--env-manager", "local"], log)  # fmt: skip
    dockerfile = out / "Dockerfile"
    text = dockerfile.read_text()
    shutil.copyfile(CA_BUNDLE, out / "host-ca.pem")
    adapt = (
        f"FROM {base}\n"
        "# added for the Debian base: `python` on PATH, pip allowed into the system Python, host CA\n"
        "RUN ln -sf /usr/bin/python3 /usr/local/bin/python\n"
        "COPY host-ca.pem /etc/pip-ca.pem\n"
        "ENV PIP_BREAK_SYSTEM_PACKAGES=1 PIP_CERT=/etc/pip-ca.pem PIP_NO_CACHE_DIR=1\n"
    )
    text, count = re.subn(r"^FROM \S+\n", adapt, text, count=1, flags=re.MULTILINE)
    if count != 1:
        raise SystemExit(f"no FROM line in {dockerfile}")
    dockerfile.write_text(text)
    return out


def main() -> None:
    support = _support()
    reason = support.ensure_daemon()
    if reason:
        raise SystemExit(reason)
    sys.path.insert(0, str(HERE))
    from peer_envs import ensure_venv

    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "build.log"
    base = support.ensure_base_image()
    mlflow_python = ensure_venv(HERE / ".work" / "venvs", "mlflow", log)
    import docker

    client = docker.from_env(timeout=600)
    with tempfile.TemporaryDirectory(prefix="pyfunc-bench-docker-") as tmp:
        ours_model, mlflow_model = Path(tmp) / "ours" / "regression", Path(tmp) / "mlflow" / "regression"
        _run([sys.executable, "-c", SAVE_SCRIPT, "ours", str(ours_model)], log)
        _run([str(mlflow_python), "-c", SAVE_SCRIPT, "mlflow", str(mlflow_model)], log)
        ours_seconds = _run(
            [sys.executable, "-m", "pyfunc_core", "build-docker", "-m", str(ours_model), "-n", OURS_TAG,
             "--base-image", base, "--extra-ca-cert", str(CA_BUNDLE)], log,
        )  # fmt: skip
        context = mlflow_context(mlflow_python, mlflow_model, Path(tmp) / "mlflow-context", base, log)
        mlflow_seconds = _run(["docker", "build", "-t", MLFLOW_TAG, str(context)], log)
    base_size = client.images.get(base).attrs["Size"]
    rows = [("base", base, base_size, None)]
    for label, tag, seconds in (
        ("pyfunc-docker", OURS_TAG, ours_seconds),
        ("mlflow", MLFLOW_TAG, mlflow_seconds),
    ):
        rows.append((label, tag, client.images.get(tag).attrs["Size"], seconds))
    mb = 1_000_000
    print(f"\n{'image':<14} {'tag':<32} {'size MB':>8} {'over base MB':>13} {'build s':>8}")
    for label, tag, size, seconds in rows:
        over = "" if seconds is None else f"{(size - base_size) / mb:13.0f}"
        secs = "" if seconds is None else f"{seconds:8.0f}"
        print(f"{label:<14} {tag:<32} {size / mb:8.0f} {over:>13} {secs:>8}")
    ours, theirs = rows[1][2] - base_size, rows[2][2] - base_size
    print(
        f"\nours / mlflow, over the base: {ours / theirs:.2f}   (whole images: {rows[1][2] / rows[2][2]:.2f})"
    )


if __name__ == "__main__":
    main()

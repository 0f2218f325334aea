"""Cold and warm environment preparation: ``pyfunc-core prepare-env`` vs ``mlflow models prepare-env``.

Both prepare a virtualenv for the same model directory (a scikit-learn model saved with
pyfunc-sklearn when it is installed, else a PythonModel pinning ``six``). "cold" starts
from an empty environment cache (package download caches are left as they are, for both
tools); "warm" runs the same command again. MLflow is installed by this script into its
own venv under ``bench/.work/env-bench``.

    .venv/bin/python bench/env_prepare_bench.py [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work" / "env-bench"
MLFLOW_PIN = "mlflow==3.17.2"

SAVE_MODEL = textwrap.dedent(
    """
    import sys
    try:
        from pyfunc_sklearn import save_model
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True, as_frame=True)
        save_model(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1], input_example=X.head(3))
        print("scikit-learn model")
    except ImportError:
        from pyfunc_core.python_model import PythonModel
        from pyfunc_core.python_model.flavor import save_model as save_python_model

        class Six(PythonModel):
            def predict(self, context, model_input, params=None):
                import six
                return [six.__version__] * len(model_input)

        save_python_model(sys.argv[1], Six(), pip_requirements=["six==1.16.0"])
        print("PythonModel pinning six")
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold/warm pairs per tool (median reported)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    model = WORK / "model"
    shutil.rmtree(model, ignore_errors=True)
    kind = subprocess.run(
        [sys.executable, "-c", SAVE_MODEL, str(model)], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(f"model: {kind} at {model}")
    mlflow_bin = ensure_mlflow()

    ours_root, mlflow_root = WORK / "envs-pyfunc", WORK / "envs-mlflow"
    ours_cmd = [
        sys.executable,
        "-m",
        "pyfunc_core",
        "prepare-env",
        "-m",
        str(model),
        "--env-manager",
        "virtualenv",
    ]
    mlflow_cmd = [
        str(mlflow_bin / "mlflow"),
        "models",
        "prepare-env",
        "-m",
        str(model),
        "--env-manager",
        "virtualenv",
    ]
    ours_env = {**os.environ, "PYFUNC_CORE_ENV_ROOT": str(ours_root)}
    mlflow_env = {
        **os.environ,
        "MLFLOW_ENV_ROOT": str(mlflow_root),
        "PATH": os.pathsep.join([str(mlflow_bin), os.environ.get("PATH", "")]),
    }
    rows = [
        (
            "pyfunc-core prepare-env --env-manager virtualenv",
            *cold_warm(ours_cmd, ours_env, ours_root, args.runs),
        ),
        (
            "mlflow models prepare-env --env-manager virtualenv",
            *cold_warm(mlflow_cmd, mlflow_env, mlflow_root, args.runs),
        ),
    ]
    print()
    print(f"| tool ({MLFLOW_PIN} for MLflow) | cold (s) | warm (s) |")
    print("| --- | ---: | ---: |")
    for name, cold, warm in rows:
        print(f"| {name} | {cold:.2f} | {warm:.2f} |")


def cold_warm(cmd: list[str], env: dict[str, str], root: Path, runs: int) -> tuple[float, float]:
    """Median seconds of ``cmd`` with an emptied environment cache, then run again as is."""
    colds, warms = [], []
    for _ in range(runs):
        shutil.rmtree(root, ignore_errors=True)
        colds.append(timed(cmd, env))
        warms.append(timed(cmd, env))
    return statistics.median(colds), statistics.median(warms)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    log = WORK / "last-run.log"
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=3600)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{log.read_text()[-3000:]}")
    print(f"  {elapsed:7.2f}s  {' '.join(Path(cmd[0]).name for _ in [0])} {' '.join(cmd[1:4])}", flush=True)
    return elapsed


def ensure_mlflow() -> Path:
    """The bin directory of a venv holding MLflow (and virtualenv, which MLflow calls)."""
    venv = WORK / "mlflow-venv"
    stamp = venv / ".pin"
    if stamp.is_file() and stamp.read_text() == MLFLOW_PIN:
        return venv / "bin"
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    print(f"installing {MLFLOW_PIN} into {venv}", flush=True)
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True, timeout=600)
    subprocess.run(
        [uv, "pip", "install", "-q", "-p", str(venv / "bin" / "python"), MLFLOW_PIN, "virtualenv"],
        check=True,
        timeout=1800,
    )
    stamp.write_text(MLFLOW_PIN)
    return venv / "bin"


if __name__ == "__main__":
    main()

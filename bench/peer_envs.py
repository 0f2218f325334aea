"""The peers' virtualenvs under ``bench/.work/venvs``: created once with pinned versions, then reused."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

# Same scikit-learn/numpy/pandas everywhere, so one joblib/skops file means one estimator.
COMMON = ["scikit-learn==1.9.1", "numpy==2.4.6", "pandas==3.1.1", "scipy==1.17.1"]
PINS: dict[str, list[str]] = {
    "mlflow": ["mlflow==3.17.2", *COMMON],
    # MLServer 1.7.1's worker never becomes ready with uvloop >= 0.22.
    "mlserver": ["mlserver==1.7.1", "mlserver-sklearn==1.7.1", "uvloop<0.22", *COMMON],
    "tools": ["py-spy==0.4.3"],
}
STAMP = ".bench-pins"


def venv_python(root: Path, name: str) -> Path:
    return root / name / "bin" / "python"


def ensure_venv(root: Path, name: str, log: Path) -> Path:
    """Return the venv's python, building it when missing or when its pins changed."""
    pins = PINS[name]
    digest = hashlib.sha256("\n".join(pins).encode()).hexdigest()
    venv = root / name
    stamp = venv / STAMP
    if stamp.is_file() and stamp.read_text() == digest and venv_python(root, name).exists():
        return venv_python(root, name)
    print(f"[env] building {venv} ({' '.join(pins)}); log: {log}", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    base_python = getattr(sys, "_base_executable", None) or sys.executable
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    with log.open("a") as out:
        if Path(uv).exists():
            _run([uv, "venv", "-q", "-p", base_python, str(venv)], out)
            _run([uv, "pip", "install", "--compile-bytecode", "-p", str(venv_python(root, name)), *pins], out)
        else:
            _run([sys.executable, "-m", "venv", str(venv)], out)
            _run([str(venv_python(root, name)), "-m", "pip", "install", "-q", *pins], out)
    stamp.write_text(digest)
    return venv_python(root, name)


def _run(cmd: list[str], out) -> None:
    out.write(f"$ {' '.join(cmd)}\n")
    out.flush()
    proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}; see {out.name}")

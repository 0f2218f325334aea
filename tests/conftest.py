"""Cross-package fixtures: wheels of the core and of a third-party flavor, and a fresh venv."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLY_SOURCE = ROOT / "tests" / "pyfunc-poly"
_IGNORE = shutil.ignore_patterns("build", "dist", "tests", "*.egg-info", "__pycache__", "*.pyc")


def run(
    cmd: list[Any], *, timeout: float = 900, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess:
    """Run ``cmd`` (no shell); on failure show its output in the assertion."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def build_wheel(source: Path, work: Path) -> Path:
    """Build ``source`` into a wheel from a private copy (no race on a shared build/ dir)."""
    copy = work / f"src-{source.name}"
    shutil.copytree(source, copy, ignore=_IGNORE)
    out = work / "wheels"
    before = set(out.glob("*.whl")) if out.exists() else set()
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, copy])
    (wheel,) = set(out.glob("*.whl")) - before
    return wheel


@pytest.fixture(scope="session")
def third_party(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Wheels (core, pyfunc-poly, a plugin pinned to an older core) and a venv with the core.

    The venv has no system site-packages: the core's dependencies come from PyPI (through
    uv's cache when uv is available, pip otherwise).
    """
    work = tmp_path_factory.mktemp("third-party")
    core_wheel = build_wheel(ROOT / "core", work)
    poly_wheel = build_wheel(POLY_SOURCE, work)

    legacy = work / "pyfunc-poly-legacy"
    (legacy / "src" / "pyfunc_poly_legacy").mkdir(parents=True)
    (legacy / "src" / "pyfunc_poly_legacy" / "__init__.py").write_text("")
    (legacy / "src" / "pyfunc_poly_legacy" / "plugin.py").write_text(
        "raise RuntimeError('a refused plugin must not be imported')\n"
    )
    pyproject = (POLY_SOURCE / "pyproject.toml").read_text()
    pyproject = pyproject.replace('name = "pyfunc-poly"', 'name = "pyfunc-poly-legacy"')
    pyproject = pyproject.replace('version = "0.1.0"', 'version = "0.0.9"')
    pyproject = pyproject.replace('"pyfunc-core>=0.1,<0.2"', '"pyfunc-core<0.1"')
    pyproject = pyproject.replace('poly = "pyfunc_poly.plugin"', 'poly-legacy = "pyfunc_poly_legacy.plugin"')
    (legacy / "pyproject.toml").write_text(pyproject.replace('readme = "README.md"\n', ""))
    legacy_wheel = build_wheel(legacy, work)

    venv = work / "venv"
    run([sys.executable, "-m", "virtualenv", "-q", venv])
    python = venv / "bin" / "python"
    if shutil.which("uv") or (Path(sys.executable).parent / "uv").exists():
        uv = shutil.which("uv") or Path(sys.executable).parent / "uv"
        run([uv, "pip", "install", "-q", "--python", python, core_wheel])
    else:
        run([python, "-m", "pip", "install", "-q", core_wheel])
    return type(
        "ThirdParty",
        (),
        {
            "work": work,
            "python": python,
            "cli": venv / "bin" / "pyfunc-core",
            "core_wheel": core_wheel,
            "poly_wheel": poly_wheel,
            "legacy_wheel": legacy_wheel,
            "run": staticmethod(run),
        },
    )

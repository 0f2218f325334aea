"""Helpers for this repository's own test suites, not part of the plugin kit
(:mod:`pyfunc_core.testing`): build expensive things once per machine.

Importable by every suite because the root ``pyproject.toml`` puts ``dev/`` on pytest's
``pythonpath``.

:func:`build_once`, :func:`shared_test_cache`, :func:`run_checked`, :func:`digest`
    Build expensive things (a virtualenv with MLflow, models saved by it) once per machine
    under ``$PYFUNC_CORE_TEST_CACHE`` (default ``~/.cache/pyfunc-core-tests``), and run the
    commands that build them with a bounded time and their output in the failure.
:func:`cached_venv`, :func:`matched_pins`
    A virtualenv (MLflow and the host's versions of the libraries whose files cross over),
    built once per machine; its Python runs the MLflow side of parity tests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import pytest


def shared_test_cache() -> Path:
    """Where test fixtures keep what they build once per machine."""
    default = Path.home() / ".cache" / "pyfunc-core-tests"
    return Path(os.environ.get("PYFUNC_CORE_TEST_CACHE", default))


def digest(*parts: str) -> str:
    """A short stable key for cache directory names."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def run_checked(cmd: Sequence[str], timeout: float, what: str, **kwargs: Any) -> None:
    """Run ``cmd``; fail the test with the command and its last output lines if it fails."""
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} timed out after {timeout:.0f}s: {' '.join(map(str, cmd))}")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        pytest.fail(f"{what} failed (exit {proc.returncode}): {' '.join(map(str, cmd))}\n{tail}")


def build_once(final: Path, build: Callable[[Path], None]) -> Path:
    """``final``, built once per machine: into a temporary sibling, then renamed into place.

    A ``.complete`` marker is written last, so an interrupted build is never reused; when
    two test runs race, the second rename loses and its (equivalent) copy is discarded.
    """
    if (final / ".complete").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        build(tmp)
        (tmp / ".complete").write_text("ok", encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        try:
            tmp.rename(final)
        except OSError:
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def matched_pins(*distributions: str) -> list[str]:
    """``name==version`` of each installed distribution, for a venv whose files must cross over
    with this one (pickles, skops files, native model files)."""
    from importlib import metadata

    return [f"{name}=={metadata.version(name)}" for name in distributions]


def cached_venv(name: str, requirements: Sequence[str], *, check: str = "", timeout: float = 1200) -> Path:
    """The Python of a virtualenv holding ``requirements``, built once per machine under
    :func:`shared_test_cache` (keyed by ``name``, the requirements and this Python's version).
    ``check`` is code the venv must run."""
    tag = f"{name}-py{sys.version_info[0]}{sys.version_info[1]}-{digest(*requirements)}"

    def make(dest: Path) -> None:
        make_venv(dest, requirements, timeout=timeout)
        if check:
            run_checked([str(dest / "bin" / "python"), "-c", check], 300, f"checking the {name} venv")

    return build_once(shared_test_cache() / tag, make) / "bin" / "python"


def make_venv(dest: Path, requirements: Sequence[str], *, timeout: float, **kwargs: Any) -> None:
    """A virtualenv at ``dest`` from this Python, holding ``requirements``: with uv when it is
    installed (its files are links into uv's cache, shared with every other venv and with
    ./.venv, which matters for TensorFlow-sized packages), else venv and pip. ``kwargs`` go
    to ``subprocess.run`` (an ``env``, say)."""
    from pyfunc_core.envs import find_uv

    python = dest / "bin" / "python"
    uv = find_uv()
    if uv:
        run_checked([uv, "venv", "-q", "--python", sys.executable, str(dest)], 300, "uv venv", **kwargs)
        install = [uv, "pip", "install", "-q", "--python", str(python), *requirements]
    else:
        run_checked([sys.executable, "-m", "venv", str(dest)], 300, "python -m venv", **kwargs)
        install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements]
    run_checked(install, timeout, f"installing {' '.join(requirements)}", **kwargs)

"""Installing Python packages into another interpreter's environment, with uv or pip."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from pyfunc_core.envs.base import Reporter, stderr_reporter
from pyfunc_core.envs.cache import step
from pyfunc_core.errors import EnvironmentBuildError

#: Set to ``0`` to install with pip even when uv is available.
USE_UV_VAR = "PYFUNC_CORE_USE_UV"
#: Longest an install may run, in seconds (default one hour).
INSTALL_TIMEOUT_VAR = "PYFUNC_CORE_INSTALL_TIMEOUT"
_TAIL_LINES = 25


def find_uv() -> str | None:
    """The ``uv`` executable: the ``uv`` Python package's binary, else ``uv`` on PATH."""
    if os.environ.get(USE_UV_VAR) == "0":
        return None
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def pip_install(
    python: str | Path,
    args: Sequence[str],
    *,
    reporter: Reporter = stderr_reporter,
    what: str = "",
    cwd: Path | None = None,
) -> None:
    """Run ``uv pip install --python PYTHON *args`` (or ``PYTHON -m pip install *args``).

    ``args`` are requirement specifiers, wheel paths and ``-r FILE`` options. A failed
    install raises :class:`EnvironmentBuildError` carrying the installer's own message.
    """
    uv = find_uv()
    if uv:
        cmd = [uv, "pip", "install", "--python", str(python), *args]
        tool = "uv"
    else:
        cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *args]
        tool = "pip"
    run_tool(cmd, reporter=reporter, what=f"installing {what or ' '.join(args)} with {tool}", cwd=cwd)


def run_tool(
    cmd: Sequence[str],
    *,
    reporter: Reporter = stderr_reporter,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a build tool, reporting ``what`` and its duration; on failure raise with its output."""
    timeout = float(os.environ.get(INSTALL_TIMEOUT_VAR, 3600))
    with step(reporter, what):
        try:
            proc = subprocess.run(
                list(cmd),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
            )
        except FileNotFoundError as exc:
            raise EnvironmentBuildError(f"{what} failed: {exc}") from None
        except subprocess.TimeoutExpired:
            raise EnvironmentBuildError(f"{what} did not finish within {timeout:.0f}s") from None
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.strip().splitlines()[-_TAIL_LINES:])
            raise EnvironmentBuildError(f"{what} failed (exit code {proc.returncode}):\n{tail}")
    return proc.stdout

"""Finding a Python interpreter of a given version: PATH, pyenv's versions, or uv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from pyfunc_core.envs import Reporter, find_uv, stderr_reporter
from pyfunc_core.errors import EnvironmentBuildError

_PROBE = "import sys; print('.'.join(map(str, sys.version_info[:3])))"


def find_python(version: str, *, reporter: Reporter = stderr_reporter) -> tuple[str, str]:
    """An interpreter for ``version`` (``3.11.7`` or ``3.11``) and its exact version.

    An exact match is preferred; otherwise the same minor version is used, and reported.
    """
    wanted = _parse(version)
    if wanted is None:
        raise EnvironmentBuildError(f"{version!r} is not a Python version (expected e.g. 3.11.7)")
    minor = ".".join(map(str, wanted[:2]))
    fallback: tuple[str, str] | None = None
    for candidate in _candidates(minor, version):
        found = _probe(candidate)
        if found is None or _parse(found)[:2] != wanted[:2]:  # type: ignore[index]
            continue
        if len(wanted) == 2 or _parse(found) == wanted:
            return candidate, found
        fallback = fallback or (candidate, found)
    if fallback is not None:
        reporter(f"Python {version} is not installed; using Python {fallback[1]} ({fallback[0]})")
        return fallback
    raise EnvironmentBuildError(
        f"The model needs Python {version}, which was found neither on PATH, nor among pyenv's "
        f"versions, nor by uv: install it with `pyenv install {version}` or `uv python install {version}`"
    )


def _candidates(minor: str, version: str) -> Iterator[str]:
    yield sys.executable
    root = _pyenv_root()
    if root is not None:
        versions = root / "versions"
        exact = versions / version / "bin" / f"python{minor}"
        if exact.is_file():
            yield str(exact)
        if versions.is_dir():
            for d in sorted(versions.glob(f"{minor}.*"), reverse=True):
                if (d / "bin" / f"python{minor}").is_file():
                    yield str(d / "bin" / f"python{minor}")
    on_path = shutil.which(f"python{minor}")
    if on_path:
        yield on_path
    uv = find_uv()
    if uv:
        for request in (version, minor):
            try:
                out = subprocess.run(
                    [uv, "python", "find", "--no-project", request],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    stdin=subprocess.DEVNULL,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.returncode == 0 and out.stdout.strip():
                yield out.stdout.strip().splitlines()[-1]


def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                return Path(out.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _probe(python: str) -> str | None:
    """The version ``python`` really runs (a pyenv shim may not run at all), or None."""
    if python == sys.executable:
        return ".".join(map(str, sys.version_info[:3]))
    try:
        out = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _parse(version: str) -> tuple[int, ...] | None:
    parts = version.strip().split(".")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)

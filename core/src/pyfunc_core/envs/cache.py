"""The on-disk cache of built environments, shared by the environment-manager plugins.

Layout under :func:`env_root` (``~/.cache/pyfunc-core/envs``, or ``$PYFUNC_CORE_ENV_ROOT``)::

    <manager>-<key>/           one environment (a virtualenv, a conda prefix...)
        .pyfunc-env.json       written last: the environment is complete
    .locks/<manager>-<key>.lock
    .wheels/                   wheels built from local sources (see host_distributions)

Environments embed their own absolute path (virtualenv script shebangs, conda prefix
replacement), so they cannot be built elsewhere and renamed into place. Instead a build
runs in place under an exclusive cross-process lock, and the marker file is the commit
point: it is written atomically (temporary file + ``os.replace``) only after the build
succeeded. A failed build is removed before the error propagates; a directory without a
marker (a builder killed mid-way) is never used, and the next builder removes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from pyfunc_core.cache_dir import cache_dir
from pyfunc_core.envs.base import Reporter, stderr_reporter
from pyfunc_core.errors import EnvironmentBuildError

ENV_ROOT_VAR = "PYFUNC_CORE_ENV_ROOT"
LOCK_TIMEOUT_VAR = "PYFUNC_CORE_ENV_LOCK_TIMEOUT"
COMPLETE_MARKER = ".pyfunc-env.json"
DEFAULT_LOCK_TIMEOUT = 3600.0


def env_root() -> Path:
    """Where environments are cached: ``$PYFUNC_CORE_ENV_ROOT`` or ``<cache_dir()>/envs``."""
    override = os.environ.get(ENV_ROOT_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return cache_dir("envs")


def env_key(*parts: Any) -> str:
    """A short stable hash of ``parts`` (Python version, requirements, distributions...)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class CachedEnvironment:
    """A complete environment directory, and whether this call built it."""

    path: Path
    built: bool
    info: dict[str, Any]


def read_marker(path: Path) -> dict[str, Any] | None:
    """The commit marker of the environment at ``path``, or None when it is not complete."""
    try:
        return json.loads((path / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_marker(path: Path, info: dict[str, Any]) -> None:
    tmp = path / f"{COMPLETE_MARKER}.tmp"
    tmp.write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path / COMPLETE_MARKER)


def get_or_build(
    name: str,
    build: Callable[[Path], None],
    *,
    info: dict[str, Any],
    reporter: Reporter = stderr_reporter,
    root: Path | None = None,
) -> CachedEnvironment:
    """Return the complete environment ``root/name``, building it with ``build(path)`` if missing.

    ``build`` creates the environment at the path it is given. ``info`` (what the
    environment holds) is stored in the marker. Concurrent callers for the same ``name``
    wait for each other; exactly one builds. The outcome (built in N s, or reused) is
    reported through ``reporter``.
    """
    root = root or env_root()
    path = root / name
    marker = read_marker(path)
    if marker is not None:
        reporter(f"reusing environment {path}")
        return CachedEnvironment(path, built=False, info=marker)
    root.mkdir(parents=True, exist_ok=True)
    with file_lock(root / ".locks" / f"{name}.lock", reporter=reporter, what=f"environment {name}"):
        marker = read_marker(path)
        if marker is not None:
            reporter(f"environment {name} was built by another process meanwhile")
            reporter(f"reusing environment {path}")
            return CachedEnvironment(path, built=False, info=marker)
        if path.exists():
            reporter(f"removing incomplete environment {path}")
            shutil.rmtree(path)
        started = time.perf_counter()
        try:
            build(path)
            info = {**info, "built_at": time.time(), "build_seconds": round(time.perf_counter() - started, 3)}
            _write_marker(path, info)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
    reporter(f"environment ready in {info['build_seconds']:.1f}s: {path}")
    return CachedEnvironment(path, built=True, info=info)


@contextlib.contextmanager
def file_lock(
    path: Path,
    *,
    reporter: Reporter = stderr_reporter,
    what: str = "",
    timeout: float | None = None,
) -> Iterator[None]:
    """Hold an exclusive cross-process lock on ``path`` (created if missing).

    Waits at most ``timeout`` seconds (``$PYFUNC_CORE_ENV_LOCK_TIMEOUT``, default one
    hour), telling the reporter once that it is waiting.
    """
    import fcntl

    if timeout is None:
        timeout = float(os.environ.get(LOCK_TIMEOUT_VAR, DEFAULT_LOCK_TIMEOUT))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    reporter(f"waiting for another process that is building {what or path}")
                    waiting = True
                if time.monotonic() >= deadline:
                    raise EnvironmentBuildError(
                        f"Timed out after {timeout:.0f}s waiting for the lock {path} "
                        f"(set {LOCK_TIMEOUT_VAR} to wait longer)"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def step(reporter: Reporter, what: str) -> Iterator[None]:
    """Report ``what`` before a build step and how long it took after it."""
    reporter(f"{what}...")
    started = time.perf_counter()
    yield
    reporter(f"{what}: done in {time.perf_counter() - started:.1f}s")

"""The environment cache shared by environment-manager plugins: keys, locks, atomic builds."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pyfunc_core.envs.cache import COMPLETE_MARKER, env_key, env_root, file_lock, get_or_build, read_marker
from pyfunc_core.errors import EnvironmentBuildError


def test_env_root_honours_the_override(monkeypatch, tmp_path):
    monkeypatch.setenv("PYFUNC_CORE_ENV_ROOT", str(tmp_path))
    assert env_root() == tmp_path.resolve()
    monkeypatch.delenv("PYFUNC_CORE_ENV_ROOT")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert env_root() == tmp_path / "xdg" / "pyfunc-core" / "envs"


def test_env_key_is_stable_and_sensitive_to_every_part():
    key = env_key("virtualenv", "3.11.7", ["six==1.16.0"])
    assert key == env_key("virtualenv", "3.11.7", ["six==1.16.0"])
    assert key != env_key("virtualenv", "3.11.8", ["six==1.16.0"])
    assert key != env_key("virtualenv", "3.11.7", ["six==1.17.0"])
    assert len(key) == 16


def test_builds_once_then_reuses(tmp_path):
    calls = []

    def build(path):
        calls.append(path)
        path.mkdir()
        (path / "payload").write_text("ok")

    lines: list[str] = []
    first = get_or_build("x-1", build, info={"a": 1}, reporter=lines.append, root=tmp_path)
    second = get_or_build("x-1", build, info={"a": 1}, reporter=lines.append, root=tmp_path)
    assert first.built and not second.built
    assert len(calls) == 1
    assert second.path == first.path and (first.path / "payload").read_text() == "ok"
    assert read_marker(first.path)["a"] == 1
    assert "build_seconds" in second.info


def test_failed_build_leaves_nothing(tmp_path):
    def build(path):
        path.mkdir()
        (path / "half").write_text("")
        raise EnvironmentBuildError("install failed")

    with pytest.raises(EnvironmentBuildError, match="install failed"):
        get_or_build("x-2", build, info={}, reporter=lambda _: None, root=tmp_path)
    assert not (tmp_path / "x-2").exists()


def test_incomplete_environment_is_rebuilt(tmp_path):
    stale = tmp_path / "x-3"
    stale.mkdir()
    (stale / "leftover").write_text("")  # a builder killed before writing the marker
    lines: list[str] = []

    def build(path):
        path.mkdir()

    result = get_or_build("x-3", build, info={}, reporter=lines.append, root=tmp_path)
    assert result.built
    assert not (stale / "leftover").exists()
    assert (stale / COMPLETE_MARKER).is_file()
    assert any("removing incomplete" in line for line in lines)


def test_lock_held_by_another_process_times_out_with_a_clear_error(tmp_path):
    lock = tmp_path / "held.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import fcntl, os, sys, time
                fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)
                fcntl.flock(fd, fcntl.LOCK_EX)
                print("locked", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        lines: list[str] = []
        with pytest.raises(EnvironmentBuildError, match="Timed out after"):
            with file_lock(lock, reporter=lines.append, what="env x", timeout=0.5):
                pass
        assert lines == ["waiting for another process that is building env x"]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with file_lock(lock, timeout=5):  # released when the holder exits
        pass

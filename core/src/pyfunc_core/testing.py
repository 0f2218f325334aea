"""Test kit for plugin authors, loaded by pytest through the ``pytest11`` entry point.

Fixtures:

``pyfunc_plugins``
    A fresh :class:`~pyfunc_core.plugins.Plugins` (built-ins plus installed entry points)
    installed as the process-wide plugins for one test; call ``.add_plugin(obj, name=...)``
    to register a plugin defined in the test.
``pyfunc_cli``
    Run ``pyfunc-core`` in-process: ``pyfunc_cli("info", "-m", path)`` returns click's
    ``Result`` (``exit_code``, ``output``), using the same plugins as ``pyfunc_plugins``.

Helpers:

:class:`ServerProcess`
    A real ``pyfunc-core serve`` subprocess on a free 127.0.0.1 port, waited for through
    ``/ping`` and stopped with SIGTERM; subclass it to add request helpers.
:func:`free_port`
    A TCP port on 127.0.0.1 that was free a moment ago.

The repository's own test helpers (virtualenvs with MLflow built once per machine...) are
not part of this kit: they live in ``dev/repo_testing.py``.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

import pytest


@pytest.fixture
def pyfunc_plugins() -> Iterator[Any]:
    from pyfunc_core.plugins import Plugins, reset_plugins

    plugins = Plugins().load()
    reset_plugins(plugins)
    try:
        yield plugins
    finally:
        reset_plugins(None)


@pytest.fixture
def pyfunc_cli(pyfunc_plugins: Any) -> Callable[..., Any]:
    from click.testing import CliRunner

    from pyfunc_core.cli.main import build_cli

    def run(*args: str, input: str | bytes | None = None) -> Any:
        try:  # click < 8.2 (the last release for Python 3.9) mixes stderr into stdout unless told
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2 only
        except TypeError:
            return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)
        result = runner.invoke(build_cli(), list(args), input=input, catch_exceptions=False)
        result.__class__ = _both_streams_result()
        return result

    return run


@functools.cache
def _both_streams_result() -> type:
    from click.testing import Result

    class BothStreamsResult(Result):
        """click 8.1's ``Result`` with 8.2's ``output``: both streams, as a terminal shows them."""

        @property
        def output(self) -> str:
            return self.stdout + self.stderr

    return BothStreamsResult


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free when asked."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``python -m pyfunc_core serve -m MODEL --port PORT *args`` on 127.0.0.1.

    Output goes to ``log``; :meth:`wait_ready` polls ``/ping`` until 200 (bounded by
    ``start_timeout``) and fails with the server's output if it exits or never answers;
    :meth:`stop` sends SIGTERM, waits (bounded), and returns the exit code.
    """

    def __init__(
        self,
        model: Path | str,
        *args: str,
        log: Path,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
        python_args: Sequence[str] = (),
        start_timeout: float = 120.0,
        stop_timeout: float = 60.0,
        wait: bool = True,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(log)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        cmd = [python, *python_args, "-m", "pyfunc_core", "serve", "-m", str(model)]
        cmd += ["--port", str(self.port), *args]
        self._log_file: IO[bytes] = open(self.log, "wb")
        self.proc = subprocess.Popen(
            cmd, stdout=self._log_file, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server not ready after {self.start_timeout:.0f}s:\n{self.output()}")

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")

    def terminate(self) -> None:
        """Send SIGTERM without waiting (for tests of draining under load)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> int:
        """SIGTERM, wait up to ``stop_timeout`` (then kill), and return the exit code."""
        self.terminate()
        try:
            self.proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if not self._log_file.closed:
            self._log_file.close()
        return int(self.proc.returncode)

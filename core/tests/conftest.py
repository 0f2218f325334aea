"""Shared helpers for the core's tests: tiny models, fake installed distributions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import cloudpickle
import pytest

from pyfunc_core import PythonModel, hookimpl
from pyfunc_core.registry import Server

# Test modules are imported under pytest's own names, which a fresh interpreter cannot
# import: pickle the models defined here by value so subprocesses can load them.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class AddN(PythonModel):
    """Adds ``model_config["n"]`` (or the ``n`` param) to every value."""

    def predict(self, context, model_input, params=None):
        n = (params or {}).get("n", context.model_config.get("n", 0))
        return model_input + n


class Echo(PythonModel):
    """Returns its input unchanged (after signature enforcement)."""

    def predict(self, context, model_input, params=None):
        return model_input


@pytest.fixture(scope="session")
def models() -> Any:
    """The model classes above, for tests in other modules."""
    return type("Models", (), {"AddN": AddN, "Echo": Echo})


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Install a distribution into a fresh ``sys.path`` entry, as pip would lay it out.

    ``fake_dist("pyfunc-demo", "1.0", entry_points={"demo": "demo_mod"},
    modules={"demo_mod": "..."}, requires=["pyfunc-core>=0.1,<0.2"])`` writes a
    ``.dist-info`` (METADATA, entry_points.txt) and the modules; returns the site dir.
    """
    site = tmp_path / "site"
    site.mkdir()
    created: list[str] = []

    def make(
        name: str,
        version: str = "1.0",
        *,
        entry_points: dict[str, str] | None = None,
        modules: dict[str, str] | None = None,
        requires: list[str] | None = None,
    ) -> Path:
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
        meta += [f"Requires-Dist: {r}\n" for r in requires or []]
        (info / "METADATA").write_text("".join(meta), encoding="utf-8")
        lines = ["[pyfunc_core]"] + [f"{k} = {v}" for k, v in (entry_points or {}).items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for mod, source in (modules or {}).items():
            (site / f"{mod}.py").write_text(source, encoding="utf-8")
            created.append(mod)
        return site

    monkeypatch.syspath_prepend(str(site))
    yield make
    for mod in created:
        sys.modules.pop(mod, None)


def run_cli(*args: str, env: dict[str, str] | None = None, input: bytes | None = None, cwd: Any = None):
    """Run ``pyfunc-core`` in a fresh interpreter (process-level behaviour: exit codes, stderr)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pyfunc_core", *args],
        input=input,
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="session")
def cli_subprocess() -> Callable[..., subprocess.CompletedProcess]:
    return run_cli


class RecordingServer:
    """A server plugin that records what ``serve`` hands it instead of listening."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl
    def register_servers(self, registry: Any) -> None:
        registry.add(Server("recorder", self._serve, "records options"))

    def _serve(self, options: Any) -> int:
        self.seen.append(options)
        return 0


@pytest.fixture
def add_recording_server(pyfunc_plugins: Any) -> Callable[[], RecordingServer]:
    """Installs a ``recorder`` server when called and returns it (``seen``: the ServeOptions)."""

    def add() -> RecordingServer:
        recorder = RecordingServer()
        pyfunc_plugins.add_plugin(recorder, name="recorder")
        return recorder

    return add

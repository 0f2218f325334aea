"""The environment-manager contract and the process runner they share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from pyfunc_core.model.mlmodel import ModelDirectory

#: Progress callback: one human-readable line per step ("installing scikit-learn==1.5.2").
Reporter = Callable[[str], None]


def stderr_reporter(line: str) -> None:
    print(f"[pyfunc-core] {line}", file=sys.stderr, flush=True)


@dataclass
class Environment:
    """A prepared environment: how to start ``pyfunc-core`` inside it."""

    manager: str
    python: str
    root: Path | None = None
    env_vars: dict[str, str] = field(default_factory=dict)

    def command(self, argv: Sequence[str]) -> list[str]:
        """The command line that runs ``pyfunc-core *argv`` in this environment."""
        return [self.python, "-m", "pyfunc_core", *argv]


class EnvironmentManager(ABC):
    """Builds (or reuses) an environment for a model directory and runs commands in it."""

    name: str = ""

    @abstractmethod
    def prepare(self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter) -> Environment:
        """Return a ready environment for ``model_dir``, building it only when missing."""

    def run(self, environment: Environment, argv: Sequence[str]) -> int:
        """Run ``pyfunc-core *argv`` inside ``environment``; signals pass through."""
        return run_forwarding_signals(environment.command(argv), env={**os.environ, **environment.env_vars})


def run_forwarding_signals(cmd: Sequence[str], env: dict[str, str] | None = None) -> int:
    """Run ``cmd``, pass SIGTERM/SIGINT on to it, and return its exit code."""
    proc = subprocess.Popen(list(cmd), env=env)
    forwarded = (signal.SIGTERM, signal.SIGINT)
    previous = {s: signal.signal(s, lambda signum, _frame: proc.send_signal(signum)) for s in forwarded}
    try:
        return proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

"""How a conda environment is created: a conda-compatible executable, or py-rattler.

``PYFUNC_CONDA_BACKEND`` chooses: ``auto`` (default: the first of ``micromamba``,
``mamba``, ``conda`` on PATH, else py-rattler), ``conda``, ``mamba``, ``micromamba`` or
``rattler``. ``PYFUNC_CONDA_EXE`` names the executable explicitly (its kind is taken from
its file name). Backends create the conda part of the environment only; the ``pip:``
section is installed afterwards by the manager, the same way for every backend.
"""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod
from pathlib import Path

from pyfunc_core.envs import Reporter, env_root, run_tool, stderr_reporter, step
from pyfunc_core.errors import EnvironmentBuildError
from pyfunc_core.model import CondaEnv

BACKEND_VAR = "PYFUNC_CONDA_BACKEND"
EXE_VAR = "PYFUNC_CONDA_EXE"
EXECUTABLES = ("micromamba", "mamba", "conda")
RATTLER = "rattler"


class CondaBackend(ABC):
    """Creates a conda environment at a prefix from a :class:`CondaEnv` (without its pip section)."""

    name: str = ""

    @abstractmethod
    def create(self, prefix: Path, env: CondaEnv, *, reporter: Reporter = stderr_reporter) -> None:
        """Create the environment at ``prefix`` (which does not exist yet)."""


class ExecutableBackend(CondaBackend):
    """``conda env create`` / ``mamba env create`` / ``micromamba create`` from an environment file."""

    def __init__(self, kind: str, executable: str) -> None:
        self.name = kind
        self.executable = executable

    def command(self, prefix: Path, env_file: Path) -> list[str]:
        """The command line that creates ``prefix`` from ``env_file``."""
        if self.name == "micromamba":
            return [self.executable, "create", "--yes", "--prefix", str(prefix), "--file", str(env_file)]
        if self.name == "mamba":
            return [
                self.executable,
                "env",
                "create",
                "--yes",
                "--prefix",
                str(prefix),
                "--file",
                str(env_file),
            ]
        return [self.executable, "env", "create", "--quiet", "--prefix", str(prefix), "--file", str(env_file)]

    def create(self, prefix: Path, env: CondaEnv, *, reporter: Reporter = stderr_reporter) -> None:
        import yaml

        env_file = prefix.parent / f".{prefix.name}.environment.yaml"
        env_file.write_text(
            yaml.safe_dump(env.to_yaml_dict(with_pip=False), sort_keys=False), encoding="utf-8"
        )
        try:
            run_tool(
                self.command(prefix, env_file),
                reporter=reporter,
                what=f"creating the conda environment with {self.name} ({', '.join(env.dependencies)})",
            )
        finally:
            env_file.unlink(missing_ok=True)


class RattlerBackend(CondaBackend):
    """Solve and install with py-rattler: conda environments without any conda installation."""

    name = RATTLER

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir or env_root() / ".rattler"

    def create(self, prefix: Path, env: CondaEnv, *, reporter: Reporter = stderr_reporter) -> None:
        import asyncio

        try:
            asyncio.run(self._create(prefix, env, reporter))
        except EnvironmentBuildError:
            raise
        except Exception as exc:  # rattler raises its own exception types for solve/fetch/link errors
            message = str(exc).strip() or type(exc).__name__
            raise EnvironmentBuildError(
                f"py-rattler could not create the conda environment: {message}"
            ) from None

    async def _create(self, prefix: Path, env: CondaEnv, reporter: Reporter) -> None:
        import rattler
        from rattler.platform import Subdir

        gateway = rattler.Gateway(cache_dir=self.cache_dir / "repodata")
        with step(
            reporter, f"solving {', '.join(env.dependencies)} from {', '.join(env.channels)} with py-rattler"
        ):
            records = await rattler.solve(
                sources=list(env.channels),
                specs=list(env.dependencies),
                gateway=gateway,
                platforms=[Subdir.current(), Subdir("noarch")],
                virtual_packages=rattler.VirtualPackage.detect(),
            )
        names = ", ".join(f"{r.name.normalized}={r.version}" for r in records)
        with step(reporter, f"installing {len(records)} conda packages ({names})"):
            await rattler.install(
                records, target_prefix=prefix, cache_dir=self.cache_dir / "pkgs", show_progress=False
            )


def select_backend(choice: str | None = None) -> CondaBackend:
    """The backend named by ``choice`` / ``$PYFUNC_CONDA_BACKEND`` / ``$PYFUNC_CONDA_EXE``."""
    choice = (choice or os.environ.get(BACKEND_VAR) or "auto").strip().lower()
    explicit = os.environ.get(EXE_VAR)
    if choice == RATTLER:
        return RattlerBackend()
    if choice not in ("auto", *EXECUTABLES):
        raise EnvironmentBuildError(
            f"{BACKEND_VAR}={choice!r} is not a conda backend: use auto, {', '.join(EXECUTABLES)} or {RATTLER}"
        )
    if explicit:
        if not (shutil.which(explicit) or Path(explicit).is_file()):
            raise EnvironmentBuildError(f"{EXE_VAR}={explicit!r} does not exist")
        kind = choice if choice != "auto" else _kind_of(explicit)
        return ExecutableBackend(kind, shutil.which(explicit) or explicit)
    for kind in EXECUTABLES if choice == "auto" else (choice,):
        found = shutil.which(kind)
        if found:
            return ExecutableBackend(kind, found)
    if choice != "auto":
        raise EnvironmentBuildError(
            f"{choice} is not on PATH: install it, set {EXE_VAR} to its path, or use {BACKEND_VAR}={RATTLER}"
        )
    return RattlerBackend()


def _kind_of(executable: str) -> str:
    name = Path(executable).name.lower()
    for kind in EXECUTABLES:
        if name.startswith(kind):
            return kind
    return "conda"

"""Environment managers by name, and running a command inside the environment one prepares."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pyfunc_core.errors import PluginError
from pyfunc_core.registry import resolved

if TYPE_CHECKING:
    from pyfunc_core.envs.base import Environment, EnvironmentManager

ENV_MANAGER_HINTS = {
    "virtualenv": "pyfunc-virtualenv",
    "conda": "pyfunc-conda",
    "docker": "pyfunc-docker",
}


def get_env_manager(name: str) -> EnvironmentManager:
    """The environment manager registered as ``name``, or a one-line install hint."""
    from pyfunc_core.plugins import get_plugins

    registry = get_plugins().env_managers
    entry = registry.get(name)
    if entry is None:
        hint = ENV_MANAGER_HINTS.get(
            name, f"a plugin that provides it (installed: {', '.join(registry.names())})"
        )
        raise PluginError(f"No environment manager {name!r} is installed: pip install {hint}")
    return resolved(entry.factory)()


def prepare(model_path: Path, env_manager: str) -> tuple[EnvironmentManager, Environment]:
    """The manager named ``env_manager`` and the environment it prepared for the model at ``model_path``."""
    from pyfunc_core.model.mlmodel import ModelDirectory

    manager = get_env_manager(env_manager)
    return manager, manager.prepare(ModelDirectory.open(model_path))


def run_inside(model_path: Path, env_manager: str, argv: Sequence[str]) -> int:
    """Prepare ``env_manager``'s environment for the model and run ``pyfunc-core *argv`` there."""
    manager, environment = prepare(model_path, env_manager)
    return manager.run(environment, [*argv, "--env-manager", "local"])

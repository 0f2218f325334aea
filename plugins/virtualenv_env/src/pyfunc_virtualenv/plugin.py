"""Entry point: registers the ``virtualenv`` environment manager (imports nothing heavy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import EnvManager

if TYPE_CHECKING:
    from pyfunc_core.envs import EnvironmentManager
    from pyfunc_core.registry import EnvManagerRegistry


def _factory() -> EnvironmentManager:
    from pyfunc_virtualenv.manager import VirtualenvManager

    return VirtualenvManager()


@hookimpl
def register_env_managers(registry: EnvManagerRegistry) -> None:
    registry.add(
        EnvManager("virtualenv", _factory, "a cached virtualenv built from the model's python_env.yaml")
    )

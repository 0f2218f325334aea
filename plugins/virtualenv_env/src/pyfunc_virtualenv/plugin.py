"""Entry point: registers the ``virtualenv`` environment manager (imports nothing heavy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import EnvManager

if TYPE_CHECKING:
    from pyfunc_core.registry import EnvManagerRegistry


@hookimpl
def register_env_managers(registry: EnvManagerRegistry) -> None:
    registry.add(
        EnvManager(
            "virtualenv",
            "pyfunc_virtualenv.manager:VirtualenvManager",
            "a cached virtualenv built from the model's python_env.yaml",
        )
    )

"""Entry point: registers the ``conda`` environment manager (imports nothing heavy)."""

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
            "conda",
            "pyfunc_conda.manager:CondaManager",
            "a cached conda environment from the model's conda.yaml (conda/mamba/py-rattler)",
        )
    )

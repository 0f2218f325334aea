"""Entry point: the ``docker`` environment manager and the image commands (imports nothing heavy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core import hookimpl
from pyfunc_core.registry import EnvManager

if TYPE_CHECKING:
    from pyfunc_core.registry import CommandRegistry, EnvManagerRegistry


@hookimpl
def register_env_managers(registry: EnvManagerRegistry) -> None:
    registry.add(
        EnvManager(
            "docker",
            "pyfunc_docker.manager:DockerManager",
            "a Docker image built for the model, served in a container",
        )
    )


@hookimpl
def register_commands(registry: CommandRegistry) -> None:
    from pyfunc_docker.commands import build_docker_command, generate_dockerfile_command

    registry.add(generate_dockerfile_command)
    registry.add(build_docker_command)

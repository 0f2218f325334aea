"""``pyfunc-core prepare-env``: build (or find) a model's environment ahead of time."""

from __future__ import annotations

from pathlib import Path

import click

from pyfunc_core.cli.errors import one_line_errors
from pyfunc_core.cli.options import model_option


@click.command("prepare-env")
@model_option
@click.option("--env-manager", default="local", show_default=True, help="Environment manager to use.")
@one_line_errors
def prepare_env_command(model_path: Path, env_manager: str) -> None:
    """Create the model's environment so that a later serve starts at once."""
    from pyfunc_core.envs.lookup import prepare

    _, environment = prepare(model_path, env_manager)
    click.echo(f"environment ready ({environment.manager}): {environment.root or environment.python}")

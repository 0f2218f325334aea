"""The ``pyfunc-core`` command: built-in sub-commands plus those plugins register."""

from __future__ import annotations

import logging
import os
import traceback

import click

from pyfunc_core._version import __version__
from pyfunc_core.cli.info_cmd import info_command
from pyfunc_core.cli.plugins_cmd import plugins_command
from pyfunc_core.cli.predict_cmd import predict_command
from pyfunc_core.cli.prepare_env_cmd import prepare_env_command
from pyfunc_core.cli.serve_cmd import serve_command

BUILTIN_COMMANDS = (plugins_command, info_command, predict_command, serve_command, prepare_env_command)


@click.group(context_settings={"auto_envvar_prefix": "PYFUNC_CORE"})
@click.version_option(__version__, prog_name="pyfunc-core")
def cli() -> None:
    """Package trained models and serve them; plugins add flavors, environments and servers."""


def build_cli() -> click.Group:
    """The command group with every built-in and plugin sub-command attached."""
    from pyfunc_core.plugins import get_plugins

    group = click.Group(name=cli.name, callback=cli.callback, params=list(cli.params), help=cli.help,
                        context_settings=cli.context_settings)  # fmt: skip
    for command in BUILTIN_COMMANDS:
        group.add_command(command)
    plugins = get_plugins()
    for command in plugins.commands:
        if command.name in group.commands:
            logging.getLogger("pyfunc_core.cli").warning(
                "plugin %s tried to replace the built-in command %r; ignored",
                plugins.commands.provider(str(command.name)), command.name,
            )  # fmt: skip
            continue
        group.add_command(command)
    return group


def main() -> None:
    from pyfunc_core.cli.logs import configure_logging
    from pyfunc_core.errors import PyfuncError

    try:
        configure_logging()
        group = build_cli()
    except PyfuncError as exc:  # a bad PYFUNC_CORE_LOG_LEVEL, or a broken plugin under STRICT_PLUGINS
        if os.environ.get("PYFUNC_CORE_DEBUG") == "1":
            traceback.print_exc()
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    group(prog_name="pyfunc-core")

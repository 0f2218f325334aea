"""``pyfunc-core serve``: hand a model to a server plugin, in the environment asked for.

The core declares the model, the address and the environment; every other option
(``--workers``, ``--timeout``, ``--grpc-port``...) is declared by an installed server
(``Server.options``) and handed to it in ``ServeOptions.extra``. Every option can also be
set by environment variable: ``PYFUNC_CORE_SERVE_<OPTION>`` (``PYFUNC_CORE_SERVE_PORT=8080``,
``PYFUNC_CORE_SERVE_WORKERS=4``...).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pyfunc_core.cli.errors import one_line_errors
from pyfunc_core.cli.options import explicit_argv, model_option
from pyfunc_core.errors import PluginError

DEFAULT_SERVER = "scoring-server"


class ServeCommand(click.Command):
    """``serve`` plus the options the installed servers declare (``Server.options``)."""

    _server_params: list[click.Parameter] | None = None

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if self._server_params is None:
            self._server_params = [_click_option(o) for o in _server_options()]
        params = super().get_params(ctx)
        is_help = bool(params) and bool(set(params[-1].opts) & set(self.get_help_option_names(ctx)))
        at = len(params) - 1 if is_help else len(params)
        return [*params[:at], *self._server_params, *params[at:]]  # --help stays last


def _server_options() -> list[Any]:
    from pyfunc_core.plugins import get_plugins

    seen: dict[str, Any] = {}
    for server in get_plugins().servers:
        for option in getattr(server, "options", ()):
            seen.setdefault(option.dest, option)
    return list(seen.values())


def _click_option(option: Any) -> click.Option:
    decls = [option.short, option.flag] if option.short else [option.flag]
    if option.type is bool:
        return click.Option(decls, is_flag=True, default=bool(option.default), help=option.help)
    kind: Any = option.type
    if option.min is not None and option.type in (int, float):
        kind = click.IntRange(min=int(option.min)) if option.type is int else click.FloatRange(min=option.min)
    return click.Option(
        decls, type=kind, default=option.default, show_default=option.default is not None, help=option.help
    )


@click.command("serve", cls=ServeCommand)
@model_option
@click.option("--name", default=None, help="Model name for the V2 routes (default: the directory's name).")
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("-p", "--port", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "--env-manager",
    default="local",
    show_default=True,
    help="Environment to serve from (local, virtualenv, conda, docker).",
)
@click.option(
    "--server", "server_name", default=None, help=f"Server plugin to use (default: {DEFAULT_SERVER})."
)
@click.option("--debug", is_flag=True, help="Include stack traces in error responses.")
@one_line_errors
def serve_command(
    model_path: Path,
    name: str | None,
    host: str,
    port: int,
    env_manager: str,
    server_name: str | None,
    debug: bool,
    **extra: Any,
) -> None:
    """Serve a model over HTTP."""
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.registry import ServeOptions, resolved

    model_dir = ModelDirectory.open(model_path)  # a missing or malformed model fails here, in one line
    server = _pick_server(server_name)
    if env_manager != "local":
        from pyfunc_core.envs.lookup import run_inside

        # Only what was given: the environment's server applies its own defaults to the rest.
        argv = explicit_argv(
            click.get_current_context(), model_path=model_dir.path, server_name=server.name, env_manager=None
        )
        sys.exit(run_inside(model_dir.path, env_manager, ["serve", *argv]))
    options = ServeOptions(
        model_path=model_dir.path, name=name or model_dir.path.name, host=host, port=port, debug=debug,
        extra=extra,
    )  # fmt: skip
    from pyfunc_core.model.load import check_loadable

    # Before the server binds and announces itself: a plugin provides the flavor, and the
    # framework it needs is installed (from metadata; the server then loads the model).
    check_loadable(model_dir)
    sys.exit(resolved(server.serve)(options))


def _pick_server(name: str | None):
    from pyfunc_core.plugins import get_plugins

    servers = get_plugins().servers
    if name:
        if name not in servers:
            raise PluginError(
                f"No server {name!r} is installed (installed: {', '.join(servers.names()) or 'none'})"
            )
        return servers[name]
    if DEFAULT_SERVER in servers:
        return servers[DEFAULT_SERVER]
    if len(servers) == 1:
        return next(iter(servers))
    if not servers:
        raise PluginError("No server plugin is installed: pip install pyfunc-scoring-server")
    raise PluginError(
        f"Several servers are installed ({', '.join(servers.names())}): choose one with --server"
    )

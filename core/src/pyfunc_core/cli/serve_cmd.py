"""``pyfunc-core serve``: hand a model to a server plugin, in the environment asked for.

Every option can also be set by environment variable: ``PYFUNC_CORE_SERVE_<OPTION>``
(``PYFUNC_CORE_SERVE_PORT=8080``, ``PYFUNC_CORE_SERVE_WORKERS=4``...).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pyfunc_core.cli.errors import one_line_errors
from pyfunc_core.cli.options import model_option
from pyfunc_core.errors import PluginError

DEFAULT_SERVER = "scoring-server"


class ServeCommand(click.Command):
    """``serve`` plus the options the installed servers declare (``Server.options``)."""

    _server_params: list[click.Parameter] | None = None

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if self._server_params is None:
            self._server_params = [_click_option(o) for o in _server_options()]
        return [*super().get_params(ctx), *self._server_params]


def _server_options() -> list[Any]:
    from pyfunc_core.plugins import get_plugins

    seen: dict[str, Any] = {}
    for server in get_plugins().servers:
        for option in getattr(server, "options", ()):
            seen.setdefault(option.dest, option)
    return list(seen.values())


def _click_option(option: Any) -> click.Option:
    if option.type is bool:
        return click.Option([option.flag], is_flag=True, default=bool(option.default), help=option.help)
    return click.Option(
        [option.flag], type=option.type, default=option.default, show_default=option.default is not None,
        help=option.help,
    )  # fmt: skip


@click.command("serve", cls=ServeCommand)
@model_option
@click.option("--name", default=None, help="Model name for the V2 routes (default: the directory's name).")
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("-p", "--port", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "-w", "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes."
)
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(min=1), help="Threads per worker."
)
@click.option(
    "-t",
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Seconds per request before 504.",
)
@click.option(
    "--max-body-size",
    default=100 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body in bytes (413 above).",
)
@click.option(
    "--batch-max-size",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Rows merged into one predict call (0: no batching).",
)
@click.option(
    "--batch-max-wait-ms",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Longest wait for a batch to fill.",
)
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
    workers: int,
    threads: int,
    timeout: float,
    max_body_size: int,
    batch_max_size: int,
    batch_max_wait_ms: float,
    env_manager: str,
    server_name: str | None,
    debug: bool,
    **extra: Any,
) -> None:
    """Serve a model over HTTP."""
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.registry import ServeOptions

    model_dir = ModelDirectory.open(model_path)  # a missing or malformed model fails here, in one line
    options = ServeOptions(
        model_path=model_dir.path,
        name=name or model_dir.path.name,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        timeout=timeout,
        max_body_size=max_body_size,
        batch_max_size=batch_max_size,
        batch_max_wait_ms=batch_max_wait_ms,
        debug=debug,
        extra=extra,
    )
    server = _pick_server(server_name)
    if env_manager != "local":
        from pyfunc_core.cli.env_dispatch import run_inside

        # --workers only when chosen: otherwise the environment's server applies its own default.
        chosen = click.get_current_context().get_parameter_source("workers")
        workers_given = chosen is not click.core.ParameterSource.DEFAULT
        sys.exit(run_inside(model_dir.path, env_manager, _argv(options, server.name, workers=workers_given)))
    from pyfunc_core.model.load import check_loadable

    # Before the server binds and announces itself: a plugin provides the flavor, and the
    # framework it needs is installed (from metadata; the server then loads the model).
    check_loadable(model_dir)
    sys.exit(server.serve(options))


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


def _argv(o, server: str, *, workers: bool = True) -> list[str]:
    return [
        "serve", "-m", str(o.model_path), "--name", o.name, "--host", o.host, "--port", str(o.port),
        *(["--workers", str(o.workers)] if workers else []),
        "--threads", str(o.threads), "--timeout", str(o.timeout),
        "--max-body-size", str(o.max_body_size), "--batch-max-size", str(o.batch_max_size),
        "--batch-max-wait-ms", str(o.batch_max_wait_ms), "--server", server,
        *(["--debug"] if o.debug else []),
        *_extra_argv(o.extra),
    ]  # fmt: skip


def _extra_argv(extra: dict[str, Any]) -> list[str]:
    """The servers' own options, as given (flags only when set)."""
    argv: list[str] = []
    for dest, value in extra.items():
        flag = "--" + dest.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not None and value is not False:
            argv += [flag, str(value)]
    return argv

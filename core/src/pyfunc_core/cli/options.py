"""Options several commands share, and forwarding the given ones to a prepared environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

#: ``-m/--model``: a model directory, or the path of its ``MLmodel`` file.
model_option = click.option(
    "-m",
    "--model",
    "model_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Model directory (or its MLmodel file).",
)


def explicit_argv(ctx: click.Context, **replace: Any) -> list[str]:
    """The options of ``ctx``'s command that were given explicitly (command line or
    ``PYFUNC_CORE_*`` variable), as a command line that gives them again: what a command
    forwards to the same command in a prepared environment, where defaults apply afresh.

    ``replace`` sets a parameter's value whether given or not (``None`` leaves it out);
    path parameters are forwarded absolute, since the environment may run elsewhere.
    """
    from click.core import ParameterSource

    argv: list[str] = []
    for param in ctx.command.get_params(ctx):
        if not isinstance(param, click.Option) or param.name is None:
            continue
        if param.name in replace:
            value = replace[param.name]
        elif param.name in ctx.params and ctx.get_parameter_source(param.name) not in (
            None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP,
        ):  # fmt: skip
            value = ctx.params[param.name]
        else:
            continue
        if value is not None:
            argv += _option_argv(param, value)
    return argv


def _option_argv(param: click.Option, value: Any) -> list[str]:
    flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    if param.is_bool_flag:
        if value:
            return [flag]
        return [param.secondary_opts[0]] if param.secondary_opts else []
    if param.is_flag:  # a flag that sets a value of its own (flag_value)
        return [flag] if value == param.flag_value else []
    if param.count:
        return [flag] * int(value)
    values = value if param.multiple else (value,)
    argv: list[str] = []
    for one in values:
        parts = one if param.nargs != 1 else (one,)
        argv += [flag, *(_text(param, part) for part in parts)]
    return argv


def _text(param: click.Option, value: Any) -> str:
    if isinstance(param.type, click.Path):
        return str(Path(value).resolve())
    return str(value)
